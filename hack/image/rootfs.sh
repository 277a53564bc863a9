#!/usr/bin/env bash
# Assembles the images' base root filesystem from Debian packages, without a base image:
#   hack/image/rootfs.sh DEB_DIR OUT_DIR
# DEB_DIR holds the .debs that build.sh downloaded (the C and C++ runtime Node links against,
# CA certificates, time zones). Only what a Node process needs is taken: shared libraries, the CA
# bundle, zoneinfo and the packages' copyright notices. No shell, no package manager, no docs.
set -euo pipefail
debs=$1
out=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for deb in "$debs"/*.deb; do
  pkg=$(dpkg-deb -f "$deb" Package)
  dpkg-deb -x "$deb" "$tmp/$pkg"
done

rm -rf "$out" && mkdir -p "$out"
cd "$out"
mkdir -p etc/ssl/certs lib/x86_64-linux-gnu lib64 usr/lib/x86_64-linux-gnu usr/share tmp
chmod 1777 tmp

# glibc: the loader and the libraries, not gconv, ldconfig, locales or the ldd script. Debian's
# loader searches the multiarch directories by default, so no ld.so.cache is needed.
cp -a "$tmp/libc6/lib/x86_64-linux-gnu/." lib/x86_64-linux-gnu/
cp -a "$tmp/libc6/lib64/." lib64/
cp -a "$tmp/libgcc-s1/lib/x86_64-linux-gnu/." lib/x86_64-linux-gnu/
cp -a "$tmp/libstdc++6/usr/lib/x86_64-linux-gnu/." usr/lib/x86_64-linux-gnu/

# The CA bundle as update-ca-certificates (a postinst script we do not run) would write it:
# every certificate the package ships, in its sorted order.
find "$tmp/ca-certificates/usr/share/ca-certificates" -name '*.crt' | LC_ALL=C sort |
  xargs cat >etc/ssl/certs/ca-certificates.crt

# Time zones; `right/` (leap-second variants) doubles the size and nothing here uses it.
cp -a "$tmp/tzdata/usr/share/zoneinfo" usr/share/
rm -rf usr/share/zoneinfo/right

# The licences of what we redistribute: each package's copyright file (libgcc-s1 and libstdc++6
# point at gcc-12-base's).
for pkg in "$tmp"/*; do
  name=$(basename "$pkg")
  if [[ -f $pkg/usr/share/doc/$name/copyright ]]; then
    mkdir -p "usr/share/doc/$name"
    cp "$pkg/usr/share/doc/$name/copyright" "usr/share/doc/$name/"
  fi
done

# A non-root user the images run as (uid/gid 65532, the usual "nonroot"), and name lookups from
# files then DNS (glibc reads nsswitch.conf; without it hosts resolve in a different order).
printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >etc/passwd
printf 'root:x:0:\nnonroot:x:65532:\n' >etc/group
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >etc/nsswitch.conf
# Its home exists but, like everything else, is not writable: the images run read-only.
mkdir -p home/nonroot
