"""Who may do what: roles (viewer < operator < admin) and warehouse managers' access to their alerts."""
