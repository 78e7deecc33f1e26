#!/bin/sh
# Installs the Debian 12 packages citysim needs when any is missing: as root with
# apt-get, otherwise prints the exact command and stops.
set -e
PACKAGES="cmake g++ make pkg-config git ccache nlohmann-json3-dev fonts-ipafont-gothic libtbb-dev libeigen3-dev libhdf5-dev libboost-test-dev \
libtomlplusplus-dev libcli11-dev librandom123-dev openmpi-bin libopenmpi-dev libnlopt-dev libnlopt-cxx-dev pybind11-dev python3-dev python3-numpy python3-h5py \
python3-pandas python3-xarray python3-matplotlib python3-h5netcdf python3-pytest python3-tqdm python3-nbclient python3-ipykernel \
python3-nbformat python3-netcdf4 libimgui-dev libglfw3-dev libgl-dev libpng-dev xvfb xauth libgl1-mesa-dri ffmpeg"
missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = "0" ]; then
  echo "installing:$missing"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing
else
  echo "citysim needs these Debian packages:$missing"
  echo "run: sudo apt-get install -y$missing"
  exit 1
fi
