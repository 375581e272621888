"""The data layer: what every other stage reads and writes.

``codebook``
    every column's name, Chinese label, aliases, type, unit and range (the schema);
``terms``
    term labels (``2024-1``) <-> index <-> academic year <-> semester, in one place;
``labels``
    display labels in Chinese and English;
``messages``
    the catalogue of messages a person reads (ingest's reasons and messages, the command
    line's lines, the estimators' notes), Chinese and English side by side
    (``messages_ingest``, ``messages_output``, ``messages_cli``, ``messages_notes``);
``ids``
    resident-ID checksums, synthetic IDs (province 99), keyed pseudonyms;
``cohort``
    :class:`~lbc_eval.data.cohort.Cohort` and :func:`~lbc_eval.data.cohort.read_cohort`;
``resources``
    the files installed with the package: the example cohort and the reference data.

Nothing here imports another stage of the kit.
"""
