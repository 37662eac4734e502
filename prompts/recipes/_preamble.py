# Built-in recipe engine (not an LLM): the code below is a fixed recipe with your columns filled in.
import warnings
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
from scipy import stats

warnings.filterwarnings("ignore", category=FutureWarning)
LANG = {{language}}
DATA_PATH = {{path}}
def say(en, zh):
    """One finding, in the request's language; the interpretation step reads these lines."""
    print("→", zh if LANG == "zh" else en)

df = {{read}}
