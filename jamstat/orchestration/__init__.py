"""The orchestration glue the DAG files call: DAG settings (owner, pools, Assets), the ingest DAG factory, and
what each task does (ingest_tasks, audit_publish_tasks). DAG files import only this package."""
