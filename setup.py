# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
import glob
import os
import re

from setuptools import find_packages
from setuptools import setup

package_name = 'multimodal_fusion'
here = os.path.dirname(os.path.abspath(__file__))


def _version():
    # One version number: package.xml's, checked against the Python package's by a test.
    with open(os.path.join(here, 'package.xml'), encoding='utf-8') as f:
        return re.search(r'<version>([^<]+)</version>', f.read()).group(1)


setup(
    name=package_name,
    version=_version(),
    packages=find_packages(include=[package_name, package_name + '.*']),
    package_data={package_name: ['assets/*.pt', 'assets/*.pt.sha256']},
    data_files=[
        ('share/ament_index/resource_index/packages', ['resource/' + package_name]),
        ('share/' + package_name, ['package.xml']),
        ('share/' + package_name + '/launch', glob.glob('launch/*.py')),
        ('share/' + package_name + '/config',
         glob.glob('config/*.yaml') + glob.glob('config/*.xml')),
    ],
    install_requires=['setuptools'],
    zip_safe=True,
    maintainer='multimodal_fusion developers',
    maintainer_email='dev@multimodal-fusion.example.org',
    description='Multimodal fusion node for humanoid robots',
    license='Apache-2.0',
    extras_require={'test': ['pytest']},
    entry_points={
        'console_scripts': [
            'fusion_node = multimodal_fusion.ros.node.fusion_node:main',
            'sim_publisher = multimodal_fusion.ros.sim_publisher:main',
            'record_bag = multimodal_fusion.ros.bag_recorder:main',
            'bag_player = multimodal_fusion.ros.bag_player:main',
            'replay = multimodal_fusion.ros.replay:main',
            'demo = multimodal_fusion.ros.demo:main',
            'fuzz_node = multimodal_fusion.tools.fuzz_node:main',
            'soak_node = multimodal_fusion.tools.soak_node:main',
            'bench_models = multimodal_fusion.tools.bench_models:cli',
            'bench_pipeline = multimodal_fusion.tools.bench_pipeline:main',
            'bench_transport = multimodal_fusion.tools.bench_transport:main',
            'bench_node = multimodal_fusion.tools.bench_node:main',
            'train = multimodal_fusion.training.train:main',
            'evaluate = multimodal_fusion.training.evaluate:main',
        ],
    },
)
