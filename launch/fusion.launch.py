# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Start the fusion node.

    ros2 launch multimodal_fusion fusion.launch.py namespace:=robot use_sim_time:=true \
        params_file:=/path/to/my_fusion.yaml camera_topic:=/head_camera/image_raw

The node configures and activates itself (parameter ``autostart``); set it false in the
params file, or pass ``autostart:=false``, to leave the transitions to a lifecycle manager.
``model_path``, ``device``, ``autostart``, ``debug_image``, ``score_threshold`` and
``camera_transport`` (``raw`` or ``compressed``) override the params file when given
(``model_path:=/models/mine.pt device:=cuda``) and leave it alone when not.

``dds_profile`` sets ``FASTDDS_DEFAULT_PROFILES_FILE`` for the processes of this launch
(default: the shipped ``config/fastdds_large_frames.xml``, a shared-memory segment sized for
camera frames; ``dds_profile:=''`` leaves the environment as it is). Frames of 640x480 and
larger arrive only if the process that publishes them loads it: start the camera driver with
the same variable (docs/benchmarks/transport.md).
"""

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument
from launch.actions import SetEnvironmentVariable
from launch.conditions import IfCondition
from launch.substitutions import LaunchConfiguration
from launch.substitutions import NotEqualsSubstitution
from launch.substitutions import PathJoinSubstitution
from launch_ros.actions import LifecycleNode
from launch_ros.parameter_descriptions import ParameterValue
from launch_ros.substitutions import FindPackageShare

# (launch argument, topic the node subscribes to, default remapping target)
_REMAPPABLE = (
    ('camera_topic', 'camera/image_raw'),
    ('audio_topic', 'audio/audio_stamped'),
    ('audio_info_topic', 'audio/audio_info'),
    ('speech_text_topic', 'speech/text'),
    ('left_wrench_topic', 'wrist/left/wrench'),
    ('right_wrench_topic', 'wrist/right/wrench'),
    ('joint_states_topic', 'joint_states'),
    ('imu_topic', 'imu/data'),
)
# (launch argument, parameter): given a value, the argument overrides the params file
# (through the node's 'overrides' parameter); left empty, the params file decides.
_OVERRIDES = (
    ('model_path', 'model.path'),
    ('device', 'model.device'),
    ('autostart', 'autostart'),
    ('debug_image', 'publish.debug_image'),
    ('score_threshold', 'detection.score_threshold'),
    ('camera_transport', 'topics.camera_transport'),
)


def generate_launch_description():
    args = [
        DeclareLaunchArgument('namespace', default_value='',
                              description='Namespace of the node and its relative topics.'),
        DeclareLaunchArgument(
            'params_file',
            default_value=PathJoinSubstitution(
                [FindPackageShare('multimodal_fusion'), 'config', 'fusion.yaml']),
            description='Parameter YAML (defaults: config/fusion.yaml).'),
        DeclareLaunchArgument('use_sim_time', default_value='false',
                              description='Use /clock (simulator or rosbag play --clock).'),
        DeclareLaunchArgument('log_level', default_value='info',
                              description='Logging level of the node.'),
        DeclareLaunchArgument(
            'dds_profile',
            default_value=PathJoinSubstitution(
                [FindPackageShare('multimodal_fusion'), 'config', 'fastdds_large_frames.xml']),
            description='Fast DDS XML profile for the processes of this launch (default: '
                        'shared memory sized for camera frames); empty keeps the environment.'),
    ]
    args += [DeclareLaunchArgument(name, default_value=topic,
                                   description=f'Topic remapped onto {topic}.')
             for name, topic in _REMAPPABLE]
    args += [DeclareLaunchArgument(name, default_value='',
                                   description=f'Parameter {param} (empty: the params file).')
             for name, param in _OVERRIDES]

    # Before the node: the variable must be in the environment the node process starts with.
    dds_profile = SetEnvironmentVariable(
        'FASTDDS_DEFAULT_PROFILES_FILE', LaunchConfiguration('dds_profile'),
        condition=IfCondition(NotEqualsSubstitution(LaunchConfiguration('dds_profile'), '')))

    node = LifecycleNode(
        package='multimodal_fusion',
        executable='fusion_node',
        name='fusion_node',
        namespace=LaunchConfiguration('namespace'),
        output='screen',
        parameters=[
            LaunchConfiguration('params_file'),
            {'use_sim_time': ParameterValue(LaunchConfiguration('use_sim_time'),
                                            value_type=bool),
             'overrides': [[f'{param}=', LaunchConfiguration(name)]
                           for name, param in _OVERRIDES]},
        ],
        remappings=[(topic, LaunchConfiguration(name)) for name, topic in _REMAPPABLE],
        ros_arguments=['--log-level', LaunchConfiguration('log_level')],
    )
    return LaunchDescription(args + [dds_profile, node])
