"""Builds citysim._citysim with the project's CMake (target _citysim) and packages it.

    pip install --no-build-isolation python/

The extension is configured in ../build-pip (CITYSIM_BUILD_DIR overrides it) against the
running interpreter; an extension already built by `make` is reused when CMake is missing.
"""
import glob
import os
import pathlib
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build_dir = pathlib.Path(os.environ.get("CITYSIM_BUILD_DIR", REPO / "build-pip"))
        if shutil.which("cmake"):
            subprocess.run(["cmake", "-S", str(REPO), "-B", str(build_dir), "-DCMAKE_BUILD_TYPE=Release",
                            "-DCITYSIM_BUILD_PYTHON=ON", "-DCITYSIM_BUILD_VIZ=OFF", "-DCITYSIM_BUILD_TESTS=OFF",
                            f"-DPython_EXECUTABLE={sys.executable}"], check=True)
            subprocess.run(["cmake", "--build", str(build_dir), "--target", "_citysim", "-j",
                            str(os.cpu_count() or 2)], check=True)
        built = sorted(glob.glob(str(HERE / "citysim" / "_citysim*.so")), key=os.path.getmtime)
        if not built:
            raise RuntimeError("citysim._citysim was not built: install cmake and the packages `make deps` lists")
        target = pathlib.Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(built[-1], target)


setup(ext_modules=[Extension("citysim._citysim", sources=[])], cmdclass={"build_ext": CMakeBuild})
