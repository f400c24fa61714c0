"""In-app notifications per person (a bell with an unread count), sent by e-mail too when SMTP is set up."""
