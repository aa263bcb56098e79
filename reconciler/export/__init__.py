"""Export: the live estate as desired-state documents (``documents``) and the writing of them
as YAML files (``writer``). The reading and the self-check are :mod:`reconciler.workflow.export`."""
