"""What people read: the look, the figures, the notebook helpers and the evidence brief.

``style``
    the CJK font (from ``mplfonts``) and the colours;
``plots``
    every figure of the kit, each taking ``ax=None`` and returning the axes;
``notebook``
    what the notebooks call to load a cohort and print stable results;
``brief``
    :func:`run` (every notebook with papermill) and :func:`brief` (the HTML brief).
"""
