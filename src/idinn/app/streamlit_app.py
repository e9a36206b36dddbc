"""Entry script of ``streamlit run`` (see :mod:`idinn.app.cli`)."""

from idinn.app.main import main

main()
