"""Every hyperparameter and run setting in one dataclass.

Defaults are the original's (openai/maddpg `experiments/train.py` and trainer); fields the original
did not have default to the behaviour that matches it. argv parsing lives in maddpg_tf2/cli.py.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Optional


@dataclass
class Config:
    # --- environment ---
    scenario: str = "simple"
    """Built-in scenario name (with or without .py), the path of a user's scenario file,
    `pettingzoo:MODULE` (MODULE.parallel_env(**env_kwargs)) or `gymnasium:ID` (one agent: DDPG)."""
    env_kwargs: Optional[dict] = None
    """Keyword arguments of a pettingzoo:/gymnasium: env's constructor (None: none)."""
    continuous_actions: bool = False
    """Particle scenarios in the original's continuous-action mode (discrete_action_space=False)."""
    max_episode_len: int = 25
    """Steps per episode (time limit; an env with a shorter limit of its own ends episodes earlier)."""
    num_episodes: int = 60000
    """Training stops once this many episodes have been started."""
    num_adversaries: int = 0
    """The first k policy agents use `adv_policy`."""
    good_policy: str = "maddpg"
    """`maddpg` (centralised critic), `ddpg` (critic sees own observation and action only), `matd3`
    (twin centralised critics, delayed actor; maddpg_tf2/matd3.py) or `mmmaddpg` (M3DDPG's minimax
    critic target and actor loss; maddpg_tf2/m3ddpg.py)."""
    adv_policy: str = "maddpg"
    """Policy type of the first `num_adversaries` agents."""

    # --- learning ---
    lr: float = 1e-2
    """Adam learning rate for actor and critic (unless actor_lr / critic_lr are set)."""
    actor_lr: Optional[float] = None
    """Actor learning rate; None means `lr`."""
    critic_lr: Optional[float] = None
    """Critic learning rate; None means `lr`."""
    gamma: float = 0.95
    """Discount factor."""
    batch_size: int = 1024
    """Minibatch size of every agent's update."""
    num_units: int = 64
    """Hidden width of every MLP (two hidden layers)."""
    tau: float = 0.01
    """Polyak step of the target networks (target = (1 - tau) * target + tau * online)."""
    grad_clip: Optional[float] = 0.5
    """Each variable's gradient is clipped to this norm on its own (None: no clipping)."""
    policy_regulariser: float = 1e-3
    """Weight of the mean squared actor output added to the actor loss."""
    buffer_size: int = 1_000_000
    """Replay capacity in transitions (shared by all agents)."""
    update_every: int = 100
    """One update round of every agent per this many collected transitions."""
    learning_starts: Optional[int] = None
    """Transitions stored before updates start; None means batch_size * max_episode_len (original)."""
    train_repeats: int = 1
    """Update rounds per update point (1 = original)."""
    agent_updates: str = "sequential"
    """`sequential` (original: agent i's update sees the target actors of agents < i already moved this
    round) or `simultaneous` (every agent from the pre-round weights, same-shaped agents in one batched step)."""
    target_init: str = "independent"
    """`independent` (original: targets initialised on their own) or `copy` (targets start as copies)."""
    standardise_rewards: bool = False
    """Standardise sampled rewards per batch before the critic target (off in the original)."""
    warmup_episodes: int = 0
    """Episodes acted with uniformly random actions before the policy acts (0 in the original)."""
    box_policy: str = "deterministic"
    """Actors for Box action spaces: `deterministic` (DDPG: tanh into the bounds, Gaussian exploration
    noise when acting) or `gaussian` (reparameterised diagonal Gaussian, tanh-squashed into the bounds)."""
    action_noise: float = 0.1
    """Std of the deterministic Box actors' exploration noise, as a fraction of half the action range."""

    # --- the paper's extensions (sections 4.2, 4.3; maddpg_tf2/ensembles.py, maddpg_tf2/inference.py) ---
    ensemble_size: int = 1
    """Sub-policies K per agent; one drawn uniformly per agent at every episode start (1 = original)."""
    ensemble_member: Optional[int] = None
    """--display / --benchmark / load: the sub-policy k that acts (None: a random one per episode)."""
    adversaries_from: Optional[str] = None
    """--display / --benchmark: the adversaries act with the checkpoint in this folder, the good agents
    with load_dir's (teams trained in separate runs; maddpg_tf2/teams.py)."""
    infer_policies: bool = False
    """Critic targets use each agent's learned approximations of the others' policies (off = original)."""
    infer_entropy: float = 1e-3
    """Weight lambda of the entropy term of the approximations' loss (the paper's 1e-3)."""
    infer_target_action: str = "sample"
    """How an approximate target policy acts in the critic target: `sample` or `mode` (no sampling)."""

    # --- the MADDPG family (maddpg_tf2/matd3.py, maddpg_tf2/m3ddpg.py): used by matd3 / mmmaddpg agents ---
    policy_update_rate: int = 2
    """MATD3: the actor and all targets are updated once per this many critic updates (the authors' 2)."""
    use_critic_noise: bool = False
    """MATD3: clipped Gaussian noise on every agent's next action in the critic target (target-policy smoothing)."""
    use_critic_noise_self: bool = False
    """MATD3: the same noise on the updated agent's own next action only."""
    critic_action_noise_stddev: float = 0.2
    """MATD3: standard deviation of the target-policy smoothing noise."""
    action_noise_clip: float = 0.5
    """MATD3: the smoothing noise is clipped to [-clip, clip]."""
    adv_eps: float = 1e-3
    """M3DDPG: step of the worst-case perturbation of opponents' actions."""
    adv_eps_s: float = 1e-5
    """M3DDPG: step of the worst-case perturbation of teammates' actions."""
    m3ddpg_released: bool = False
    """M3DDPG as dadadidodi/m3ddpg's released code computes it: the actor loss on the unperturbed Q
    and every other agent perturbed by adv_eps in the critic target (off: the paper's algorithm)."""
    real_q_log: bool = False
    """The MATD3 authors' overestimation measure (maddpg_tf2/real_q.py): every 5 save points, each agent's
    critic estimate Q_i(s, a) against the discounted return the current policies collect from (s, a), over
    q_log_states states sampled from the worlds visited since the last measure; written to the metrics CSV,
    TensorBoard (q/...), <exp>_q_values.pkl/.csv/.png."""
    q_log_ep_len: int = 200
    """Steps the current policies run from each sampled state (the authors' --q-log-ep-len)."""
    q_log_states: int = 200
    """States sampled (with replacement, uniformly over the steps since the last measure) per measure."""
    perturb_opponents: float = 0.0
    """--benchmark / --display: the evaluated team's opponents act perturbed by a step of this size
    against the team's critics, M3DDPG's robustness test (maddpg_tf2/perturb.py; 0 = off)."""
    perturb_team: str = "good"
    """The evaluated team whose opponents are perturbed: `good` (the adversaries are) or `adversaries`."""
    perturb_kind: str = "worst"
    """`worst` (MAAL's step down the evaluated team's summed Q) or `random` (a uniformly random
    direction of the same length: the control)."""

    # --- discrete gradient estimators ---
    gradient_estimator: str = "gumbel"
    """gumbel (original soft sample), stgs, grmck, gst or tags."""
    gumbel_temp: float = 1.0
    """Temperature tau of the Gumbel-based estimators."""
    rao_k: int = 1
    """Number of conditional Gumbel draws K of GRMCK."""
    gst_gap: float = 1.0
    """Logit gap of the gapped straight-through estimator."""
    tags_start: float = 5.0
    """TAGS temperature at the first update."""
    tags_end: float = 0.5
    """TAGS temperature at and after `tags_period` updates."""
    tags_period: int = 100000
    """TAGS decay length, counted in update rounds."""

    # --- run ---
    seed: Optional[int] = None
    """Seed of numpy, TensorFlow and the environments; None = unseeded, as the original."""
    num_envs: int = 64
    """Parallel environments stepped together (64: fastest measured on 2 cores; 1 = the original's schedule
    exactly); updates still come once per `update_every` transitions."""
    exp_name: Optional[str] = None
    """File stem of the output files; None derives `<scenario>_<time>`."""
    save_dir: str = "/tmp/policy/"
    """Checkpoint directory."""
    save_rate: int = 1000
    """Save, print and record the learning curve every this many episodes."""
    load_dir: str = ""
    """Where restore/display/benchmark load from; empty means save_dir."""
    restore: bool = False
    """Load the checkpoint and keep training."""
    save_replay: bool = False
    """Also checkpoint the replay buffer (large), so --restore resumes with it."""
    display: bool = False
    """Render the loaded policy instead of training."""
    display_episodes: Optional[int] = None
    """Episodes to display; None = forever with a window, 3 without one."""
    display_file: Optional[str] = None
    """Animation written when no window can be opened (.gif or .mp4); None picks a path."""
    benchmark: bool = False
    """Evaluate the loaded policy and save benchmark data."""
    benchmark_iters: int = 100000
    """Environment steps of a benchmark run."""
    benchmark_dir: str = "./benchmark_files/"
    """Where benchmark pickles and summaries go."""
    benchmark_deterministic: bool = False
    """Benchmark with each policy's mode (softmax of the logits, or the argmax with a one-hot
    estimator) instead of a sampled action as the original; the paper does not say which it used."""
    plots_dir: str = "./learning_curves/"
    """Where learning-curve pickles, CSV and plots go."""
    tensorboard_dir: Optional[str] = None
    """Write TensorBoard scalars here (None: off)."""
    quiet: bool = False
    """No progress bar."""
    overwrite: bool = False
    """Let a fresh training run replace a checkpoint of another configuration in save_dir (refused otherwise)."""
    debug: bool = False
    """Show the full traceback of errors in the user's scenario code and of other user errors."""
    log_grad_variance: bool = False
    """Log each actor's gradient variance across estimator draws."""
    log_grad_variance_interval: int = 1000
    """Update rounds between gradient-variance measurements."""
    grad_variance_draws: int = 16
    """Estimator draws used per gradient-variance measurement."""
    jit_compile: bool = False
    """Compile the train step with XLA."""
    intra_op_threads: int = 1
    """TensorFlow threads inside one op (1: fastest measured for these small networks; 0: TF's choice)."""
    inter_op_threads: int = 2
    """TensorFlow ops run side by side (2: fastest measured on 2 cores; 0: TF's choice)."""

    # --- training across machines (Ray; maddpg_tf2/distributed/) ---
    explorers: int = 0
    """Ray explorer processes stepping `num_envs` worlds each (0: the single-process loop)."""
    ray_address: Optional[str] = None
    """Ray to join (`auto`, `host:port`, `ray://host:port`); None starts a local Ray on loopback."""
    inference: str = "local"
    """Where explorers' actions are computed: `local` (each explorer's numpy copy of the actors,
    refreshed every update round) or `central` (one inference actor batches all explorers' requests)."""
    async_updates: bool = False
    """Explorers and learner run free instead of one update round per 100 transitions in lockstep;
    the loop reports the update-to-data ratio it achieved."""

    # --- coded distributed training (Wang, Xie, Atanasov 2021) ---
    coded_scheme: Optional[str] = None
    """None: updates in this process. `none`, `mds`, `random_sparse`, `replication`, `ldpc`: every round
    is computed by Ray learners, each updating the agents of its code row (the simultaneous update from
    the pre-round weights), and decoded from the first answers that determine every agent."""
    learners: Optional[int] = None
    """Ray learners N of coded training; None: one per agent (`none`), 2 per agent (`replication`),
    agents + 1 (the others)."""
    stragglers: int = 0
    """Learners drawn at random each round to straggle (simulated)."""
    straggler_delay: float = 0.0
    """Seconds a straggler waits before answering."""
    straggler_failure: bool = False
    """Stragglers never answer (instead of answering late)."""
    round_timeout: float = 10.0
    """Seconds a coded round waits for decodable answers before re-sending the missing work."""
    parameter_sharing: str = "none"
    """`none` (original: every agent its own networks) or `team`: the agents of one team (same
    maddpg/ddpg rule, same observation and action spaces) share one actor, one critic, their targets
    and optimizers; each member's observation gets a one-hot index within its team appended, its
    critic input that index too, and one update per team and round trains the shared networks on
    the members' batches pooled (docs/many-agents.md)."""

    # --- experiment tracking (maddpg_tf2/tracking.py) ---
    track: tuple = ()
    """Experiment trackers that get the run beside TensorBoard: `mlflow`, `wandb` or both (empty: none)."""
    track_project: Optional[str] = None
    """MLflow experiment / W&B project of tracked runs; None: the scenario's short name."""
    track_checkpoints: bool = False
    """Tracked runs also store the latest checkpoint's weights (not only the checkpoint folder's path)."""

    def __post_init__(self):
        # --track may come as None (argparse), a name (YAML) or a list: one tuple of distinct names.
        track = self.track
        track = [] if track is None else [track] if isinstance(track, str) else list(track)
        self.track = tuple(dict.fromkeys(track))

    @property
    def actor_learning_rate(self) -> float:
        return self.lr if self.actor_lr is None else self.actor_lr

    @property
    def critic_learning_rate(self) -> float:
        return self.lr if self.critic_lr is None else self.critic_lr

    @property
    def min_replay_size(self) -> int:
        if self.learning_starts is not None:
            return self.learning_starts
        return self.batch_size * self.max_episode_len

    def agent_policies(self, n_agents: int) -> list:
        """The rule per agent (maddpg, ddpg, matd3, mmmaddpg), as the original: the first num_adversaries use adv_policy."""
        return [self.adv_policy if i < self.num_adversaries else self.good_policy for i in range(n_agents)]

    def replace(self, **changes) -> "Config":
        return dataclasses.replace(self, **changes)

    @classmethod
    def field_names(cls):
        return [f.name for f in dataclasses.fields(cls)]
