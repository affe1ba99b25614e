"""The sandbox mail catcher: SMTP in, Mailpit's API out, nothing delivered."""
