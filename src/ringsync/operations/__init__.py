"""One-time operations an admin starts: preview first, then run, cancel, resume, inspect.

Kinds: pull lead statuses, sync users, push contacts, pull contacts, push one contact and import
list (the last four through the sync engine).
"""
