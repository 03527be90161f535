#!/bin/sh
# Runs COMMAND inside the current (private) D-Bus session with an unlocked gnome-keyring
# providing the Secret Service. Meant to be started as:
#   HOME=<tmp> XDG_RUNTIME_DIR=<tmp> dbus-run-session -- sh keyring-session.sh COMMAND [ARGS...]
# (the integration test `keyring` does this itself).
set -eu
# An empty line, not empty input: the new login keyring gets an empty password and is unlocked.
echo '' | gnome-keyring-daemon --unlock --components=secrets >/dev/null
# Wait until the Secret Service has an owner before any client touches it, or D-Bus would
# activate a second, locked daemon.
tries=0
until dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
        org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null \
        | grep -q 'boolean true'; do
    tries=$((tries + 1))
    if [ "$tries" -gt 400 ]; then
        echo "keyring-session.sh: the Secret Service did not appear on the session bus" >&2
        exit 1
    fi
    sleep 0.05
done
exec "$@"
