"""Where capscore keeps things (data root, lake, warehouse) and how it writes them safely."""
