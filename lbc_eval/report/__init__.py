"""What people read: the look, the figures, the notebook helpers and the evidence brief.

``style``
    the CJK font (from ``mplfonts``) and the colours;
``plots``
    every figure of the kit, each taking ``ax=None`` and returning the axes;
``notebook``
    what the notebooks call to load a cohort and print stable results;
``run``
    :func:`run`: every notebook with papermill, each also as an HTML page;
``pages``
    an executed notebook as a self-contained HTML page (the CJK font embedded);
``tables``
    the tables of a page, read once from HTML and written as HTML and as Word;
``word``
    the brief as a Word document;
``brief``
    :func:`brief`: the work-plan notebook as the evidence brief (HTML and Word).
"""
