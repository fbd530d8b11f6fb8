import json
import math

import numpy as np
import pytest

from maddpg_tf2.benchmark_metrics import format_table, summarise, write_summary_json


def metric(summary, name):
    return summary["metrics"][name]["mean"], summary["metrics"][name]["stderr"]


# simple_spread values per agent: (reward, collisions, sum of min distances, occupied landmarks)
SPREAD = [
    [  # episode 1, two steps; agents 1 and 2 touch at step 0
        [(-2.0, 1, 1.5, 0), (-3.0, 2, 1.5, 0), (-3.0, 2, 1.5, 0)],
        [(-1.0, 1, 0.9, 1), (-1.0, 1, 0.9, 1), (-1.0, 1, 0.9, 1)],
    ],
    [  # episode 2, one step, no touching
        [(-1.3, 1, 0.3, 2), (-1.3, 1, 0.3, 2), (-1.3, 1, 0.3, 2)],
    ],
]


def test_simple_spread_by_hand():
    s = summarise("simple_spread", SPREAD)
    assert s["episodes"] == 2 and s["steps_per_episode"] == 1.5
    # raw: episode 1 = 5 + 3 = 8, episode 2 = 3; excluding self: 8 - 3*2 = 2 and 3 - 3*1 = 0
    assert metric(s, "collisions_per_episode_raw_incl_self") == pytest.approx((5.5, 2.5))
    assert metric(s, "collisions_per_episode_excl_self") == pytest.approx((1.0, 1.0))
    assert metric(s, "collisions_per_step_excl_self")[0] == pytest.approx(0.5)  # (1 + 0) / 2
    assert metric(s, "landmark_min_dist_sum_final")[0] == pytest.approx(0.6)  # (0.9 + 0.3) / 2
    assert metric(s, "landmark_min_dist_sum_step_mean")[0] == pytest.approx(0.75)  # (1.2 + 0.3) / 2
    assert metric(s, "occupied_landmarks_final")[0] == pytest.approx(1.5)
    # pairs: episode 1 has one pair (agents 1, 2) at step 0, episode 2 none
    assert metric(s, "collisions_per_episode_pairs")[0] == pytest.approx(0.5)


def test_original_pickle_wrapping_gives_the_same_summary():
    wrapped = [[ep] for ep in SPREAD]  # the original stores each episode as [steps]
    assert summarise("simple_spread.py", wrapped) == summarise("simple_spread", SPREAD)


def test_simple_tag_touches_by_hand():
    eps = [
        [[0, 0, 0, 0], [1, 0, 1, 0], [0, 1, 0, 0]],  # 3 touches
        [[0, 0, 0, 0], [0, 0, 0, 0]],                # none
    ]
    s = summarise("simple_tag", eps, adversary_n=[True, True, True, False])
    assert metric(s, "touches_per_episode") == pytest.approx((1.5, 1.5))
    assert metric(s, "episodes_with_touch_rate")[0] == pytest.approx(0.5)
    assert metric(s, "touching_steps_per_episode")[0] == pytest.approx(1.0)  # (2 + 0) / 2
    assert summarise("simple_world_comm", eps)["metrics"] == s["metrics"]  # flags optional


def test_simple_crypto_success_by_hand():
    g1, g0 = np.eye(4)[1], np.eye(4)[0]
    # agents: Eve (adversary), Bob (listener), Alice (speaker)
    ep1 = [  # Bob wrong at first, right at the end; Eve says colour 0
        [(np.array([0.7, 0.1, 0.1, 0.1]), g1), (np.array([0.9, 0.0, 0.1, 0.0]), g1), (np.zeros(4), g1)],
        [(np.array([0.7, 0.1, 0.1, 0.1]), g1), (np.array([0.1, 0.6, 0.2, 0.1]), g1), (np.zeros(4), g1)],
    ]
    ep2 = [  # goal 0: Eve right; Bob silent, which is a failure although argmax(zeros) = 0
        [(np.array([0.9, 0.0, 0.0, 0.1]), g0), (np.zeros(4), g0), (np.ones(4), g0)],
    ]
    ep3 = [  # both right
        [(np.array([0.5, 0.2, 0.2, 0.1]), g0), (np.array([0.4, 0.3, 0.2, 0.1]), g0), (np.ones(4), g0)],
    ]
    s = summarise("simple_crypto", [ep1, ep2, ep3], adversary_n=[True, False, False])
    assert metric(s, "bob_success_rate")[0] == pytest.approx(2 / 3)
    assert metric(s, "eve_success_rate")[0] == pytest.approx(2 / 3)
    assert metric(s, "bob_only_success_rate")[0] == pytest.approx(1 / 3)
    assert metric(s, "bob_minus_eve_success") == pytest.approx((0.0, 1 / math.sqrt(3)))


def test_simple_adversary_success_by_hand():
    eps = [
        [[0.01, (1.0, 1.0, 0.02), (2.0, 2.0, 0.5)]],   # both near the goal: no deception
        [[1.0, (1.0, 1.0, 0.5), (2.0, 2.0, 0.001)]],   # good near, adversary far
    ]
    s = summarise("simple_adversary", eps)  # flags inferred: the adversary reports one number
    assert metric(s, "good_success_rate")[0] == 1.0
    assert metric(s, "adversary_success_rate")[0] == 0.5
    assert metric(s, "deception_success_rate")[0] == 0.5
    assert metric(s, "adversary_goal_dist2_final")[0] == pytest.approx(0.505)
    assert metric(s, "good_min_goal_dist2_final")[0] == pytest.approx(0.0105)
    assert metric(s, "adversary_goal_dist_final")[0] == pytest.approx((0.1 + 1.0) / 2)
    assert metric(s, "good_closer_than_adversary_rate")[0] == 0.5  # 0.02 < 0.01 no; 0.001 < 1.0 yes


def test_speaker_listener_and_reward_distance():
    s = summarise("simple_speaker_listener", [[[-0.5, -0.5], [-0.01, -0.01]], [[-0.04, -0.04]]])
    assert metric(s, "reached_target_rate")[0] == 0.5  # distance 0.1 reached, 0.2 not
    s2 = summarise("simple_speaker_listener", [[[-0.01, -0.01], [-0.5, -0.5]]])
    assert metric(s2, "reached_target_rate")[0] == 0.0  # left the target before the end
    assert metric(s2, "reached_target_rate_any_step")[0] == 1.0
    assert metric(s, "agent_reward_per_episode")[0] == pytest.approx((-0.51 - 0.04) / 2)
    assert metric(s, "listener_target_dist_final")[0] == pytest.approx(0.15)
    s = summarise("simple_push", [[[(-1.0, 0.5), (2.0, 0.1)], [(-2.0, 0.3), (1.0, 0.2)]]],
                  adversary_n=[True, False])
    assert metric(s, "adversary_reward_per_episode")[0] == -3.0
    assert metric(s, "good_distance_final")[0] == 0.2
    assert metric(s, "good_distance_step_mean")[0] == pytest.approx(0.15)


def test_table_and_json(tmp_path):
    s = summarise("simple_tag", [[[1, 0]]])  # one episode: stderr undefined
    assert math.isnan(s["metrics"]["touches_per_episode"]["stderr"])
    text = format_table(s)
    assert "touches_per_episode" in text and "n/a" in text and "simple_tag" in text
    path = tmp_path / "b" / "summary.json"
    write_summary_json(path, s)
    loaded = json.loads(path.read_text())
    assert loaded["metrics"]["touches_per_episode"] == {
        "mean": 1.0, "stderr": None, "description": s["metrics"]["touches_per_episode"]["description"]}
