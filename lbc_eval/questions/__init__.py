"""The bureau's four questions, each an analysis of a :class:`~lbc_eval.data.cohort.Cohort`.

``overview``
    who the left-behind children are, data quality, the national context;
``mentoring``
    Q1: the dose-response of outcomes on mentoring contacts;
``training``
    Q2: teacher training, by left-behind status;
``enrolment``
    Q3: the residence-permit enrolment policy (staggered adoption across destinations);
``workplan``
    Q4: the findings mapped to next year's plan;
``methods``
    bias and coverage over many synthetic cohorts, and the published replication.

This is the only layer that knows the shape of the synthetic ``truth``.
"""
