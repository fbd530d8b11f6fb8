"""maddpg-tf2: MADDPG and the Multi-Agent Particle Environments on TensorFlow 2."""
from setuptools import find_packages, setup

DOCS = ["mkdocs>=1.6", "mkdocs-material>=9.5", "mkdocstrings[python]>=0.26"]

setup(
    name="maddpg-tf2",
    version="0.1.0",
    description="TensorFlow 2 reimplementation of OpenAI's MADDPG and its particle environments",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.9",
    # maddpg_tf2 is the library; compat/ holds the original's import paths: the packages multiagent
    # and maddpg and the top-level module make_env (the original MPE repository's make_env.py).
    # No `experiments` package: that name belongs to users' own folders.
    packages=find_packages(include=["maddpg_tf2", "maddpg_tf2.*"])
    + find_packages("compat", include=["multiagent", "multiagent.*", "maddpg", "maddpg.*"]),
    py_modules=["make_env"],
    package_dir={"": "compat", "maddpg_tf2": "maddpg_tf2"},
    install_requires=[
        "tensorflow>=2.16",
        "tensorflow-probability>=0.24",
        "tf-keras>=2.16",
        "numpy>=1.24",
        "gymnasium>=0.29",
        "pyyaml>=6.0",
        "tqdm>=4.60",
        "matplotlib>=3.6",
        "imageio>=2.28",
        "pillow>=9.0",
    ],
    extras_require={
        "video": ["imageio-ffmpeg>=0.4"],
        "distributed": ["ray[tune]>=2.9"],
        "pettingzoo": ["pettingzoo>=1.24", "mpe2>=0.0.1"],
        "gymnasium": ["gymnasium[classic-control]>=0.29"],
        "tensorboard": ["tensorboard>=2.16"],
        # --track mlflow / --track wandb (maddpg_tf2/tracking.py)
        "tracking": ["mlflow>=3.0", "wandb>=0.31"],
        # The guide (mkdocs.yml, docs/): `mkdocs serve` to read it, `mkdocs build --strict` in CI.
        "docs": DOCS,
        # The test extra brings every optional part (and gym, to test the spaces against it; the docs
        # tools, to build the guide strictly), so that CI tests them all.
        "test": ["pytest>=7.0", "imageio-ffmpeg>=0.4", "ray[tune]>=2.9", "pettingzoo>=1.24", "mpe2>=0.0.1",
                 "gymnasium[classic-control]>=0.29", "gym>=0.26", "psutil>=5.9", "mlflow>=3.0",
                 "wandb>=0.31"] + DOCS,
    },
    entry_points={
        "console_scripts": [
            "maddpg-train=maddpg_tf2.cli:main",
            "maddpg-tf1=maddpg.tf1:main",
            "maddpg-plot=maddpg_tf2.plot:main",
            "maddpg-sweep=maddpg_tf2.sweep.command:main",
        ]
    },
)
