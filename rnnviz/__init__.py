"""rnnviz: look inside recurrent neural networks while they learn."""
