"""A Streamlit web app over idinn: ``idinn app`` (needs ``pip install "idinn[app]"``).

Pages: one inventory system (model, demand, controllers, the exact optimum, plots,
downloads, live neural training) and a portfolio of SKUs (:mod:`idinn.portfolio`).
"""

from pathlib import Path

__all__ = ["SCRIPT"]

#: The script that ``streamlit run`` executes.
SCRIPT = Path(__file__).with_name("streamlit_app.py")
