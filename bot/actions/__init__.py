"""The assistant's action server (rasa-sdk, Python 3.10).

Started as ``python -m rasa_sdk --actions actions`` from ``bot/``. Only ``actions.py`` imports rasa_sdk;
the decision logic (``decide``), opening hours (``hours``), reply texts (``replies``) and the content
index (``index``) are plain Python, so the services' environment can import and test them as
``bot.actions.decide`` etc. Nothing here imports code from outside this package.
"""
