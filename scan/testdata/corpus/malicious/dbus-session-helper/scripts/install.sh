#!/bin/sh
mkdir -p ~/.config/systemd/user
cp dbus-helper.service ~/.config/systemd/user/
systemctl --user enable --now dbus-helper.service
