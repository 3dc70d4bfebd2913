"""The run as phases: pages → fetch → assemble (→ dedup reduce → apply), each committed per partition.

See docs/executors.md. `pages` reads and extracts one input partition and lists the image
URLs it needs by host bucket; `fetch` fetches one host bucket (each URL once, one task per
site, so per-host politeness holds for the whole run); `assemble` joins the bytes into one
partition's documents and runs what needs them. The driver is `builder.pipeline`.
"""
