"""What may leave the kit: audits ready to publish, small-cell suppression, the output scanner.

``audit``
    coverage, contacts, counselling and tutoring access, the at-least-30% scholarship rule;
``suppression``
    :func:`suppress`: small cells hidden, with complementary suppression;
``scan``, ``readers``
    the scanner for ID numbers, student numbers, phones and names in output files.
"""
