"""The staff actions and read side, for the staff CLI and the staff API.

Nothing here imports boto3, botocore or Chalice at module level; the
submodules are imported by name (labels is also read by the notice model).
"""
