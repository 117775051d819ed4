"""Packaging for gputensor. The top-level kernels/ and benchmarks/ folders ship inside the
wheel as gputensor.kernels and gputensor.benchmarks."""

from setuptools import setup

setup(
    name="gputensor",
    version="0.1.0",
    description="A small GPU-backed tensor framework: NumPy/CuPy backends, autodiff, kernels",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.10",
    packages=["gputensor", "gputensor.autograd", "gputensor.backends", "gputensor.ops",
              "gputensor.nn", "gputensor.optim", "gputensor.data", "gputensor.datasets",
              "gputensor.kernels", "gputensor.benchmarks"],
    package_dir={"gputensor": "gputensor", "gputensor.kernels": "kernels",
                 "gputensor.benchmarks": "benchmarks"},
    package_data={"gputensor.kernels": ["*.cu", "*.cuh", "*.h", "*.md"]},
    install_requires=["numpy>=1.26", "tqdm>=4.60"],
    extras_require={
        "cuda12": ["cupy-cuda12x>=13"],
        "cuda13": ["cupy-cuda13x>=13.6"],
        "test": ["pytest>=7", "hypothesis>=6", "setuptools>=64", "wheel", "scikit-learn>=1.0"],
        "datasets": ["scikit-learn>=1.0"],
        "plot": ["matplotlib>=3.5"],
    },
    entry_points={"console_scripts": ["gputensor-bench=gputensor.benchmarks.cli:main"]},
)
