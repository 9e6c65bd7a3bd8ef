#!/bin/sh
# /init of the e2e guest: loads the modules, shows the host's files
# read-only under a tmpfs overlay at the same paths, mounts the guest's
# own proc/sysfs/tracefs/cgroup2 (the guest's DAMON, never the host's),
# runs /run/e2e/cmd.sh and powers off.  Output and exit status go to the
# writable share /run/e2e.
export PATH=/bin
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs dev /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
die() { echo "e2e-init: $*"; poweroff -f; }
for m in /lib/modules/*.ko; do insmod "$m" || echo "e2e-init: insmod $m failed"; done
mkdir -p /lower /ovl /newroot
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose hostroot /lower || die "no host root"
mount -t tmpfs -o mode=755 tmpfs /ovl
mkdir -p /ovl/upper /ovl/work
mount -t overlay overlay -o lowerdir=/lower,upperdir=/ovl/upper,workdir=/ovl/work /newroot || die "no overlay"
R=/newroot
mount -t proc proc $R/proc
mount -t sysfs sysfs $R/sys || die "no sysfs"
mount -t devtmpfs dev $R/dev
mkdir -p $R/dev/pts $R/dev/shm
mount -t devpts devpts $R/dev/pts
mount -t tmpfs tmpfs $R/dev/shm
mount -t tmpfs -o mode=755 tmpfs $R/run
mount -t tracefs tracefs $R/sys/kernel/tracing 2>/dev/null
mount -t cgroup2 cgroup2 $R/sys/fs/cgroup 2>/dev/null
grep -q " $R/sys sysfs " /proc/mounts || die "guest sysfs missing"
mkdir -p $R/run/e2e
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 e2erun $R/run/e2e || die "no run share"
ifconfig lo 127.0.0.1 up 2>/dev/null
S=$R/run/e2e
chroot $R /bin/sh /run/e2e/cmd.sh >$S/stdout 2>$S/stderr
echo $? >$S/rc
sync
umount $S
poweroff -f
