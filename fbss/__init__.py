"""The `fbss` command line: the composition root that wires each layer's commands together.

Layers point one way: vocabulary/contract <- pipelines (write) <- analytics (read, pure)
<- dashboard (Streamlit). Only this package may import all of them.
"""
