#!/bin/sh
# The tutorial's init: mount, quiet the console, a shell, then power off.
mount -t proc none /proc
mount -t sysfs none /sys
echo "2 4 1 7" >/proc/sys/kernel/printk
/bin/sh
poweroff -f
