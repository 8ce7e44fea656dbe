"""Reading and plotting vecinfer-eval results: a sweep's output folder (sweep.py, plots.py) and the quantization
study's JSON lines (study.py). The notebooks beside this package import it; nothing else draws these plots in Python."""
