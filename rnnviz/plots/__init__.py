"""Figure builders: data in, plotly Figure out. One module per lesson group; palettes in style.py."""
