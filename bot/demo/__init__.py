"""`python -m bot demo`: try the bot in a browser with a built-in sample CRM and a Slack stand-in, offline."""
