using MLNetAdam.Data;
using MLNetAdam.Model;
using MLNetAdam.Optimizers;
using MLNetAdam.Schedules;

namespace MLNetAdam.Training;

public abstract partial class AdamMlpTrainerBase
{
    /// <summary>Default values of the trainers' options, usable as constants.</summary>
    public static class Defaults
    {
        /// <summary>Default label column: "Label".</summary>
        public const string LabelColumnName = "Label";

        /// <summary>Default feature column: "Features".</summary>
        public const string FeatureColumnName = "Features";

        /// <summary>Default width of the single hidden layer: 100 (as scikit-learn's MLPClassifier).</summary>
        public const int HiddenLayerSize = 100;

        /// <summary>Default mini-batch size: 200 (scikit-learn's <c>min(200, rows)</c>: a smaller data set is one batch).</summary>
        public const int BatchSize = 200;

        /// <summary>Default largest number of passes over the training data: 200 (scikit-learn's <c>max_iter</c>); the default <see cref="AdamMlpOptionsBase.EarlyStopping"/> usually stops sooner.</summary>
        public const int NumberOfEpochs = 200;

        /// <summary>Default <see cref="AdamMlpOptionsBase.NormalizeFeatures"/>: true.</summary>
        public const bool NormalizeFeatures = true;

        /// <summary>Default patience of the convergence stop: 10 epochs (scikit-learn's <c>n_iter_no_change</c>).</summary>
        public const int ConvergencePatience = 10;

        /// <summary>Default tolerance of the convergence stop: 1e-4 (scikit-learn's <c>tol</c>).</summary>
        public const double ConvergenceTolerance = 1e-4;

        /// <summary>Default L2 regularization: 0.</summary>
        public const float L2Regularization = 0f;

        /// <summary>Default activation: ReLU.</summary>
        public const MlpActivation Activation = MlpActivation.Relu;
    }
}

/// <summary>
/// The options every AdamMlp trainer shares (<see cref="AdamMlpTrainer.Options"/>, <see cref="AdamMlpBinaryTrainer.Options"/>,
/// <see cref="AdamMlpRegressionTrainer.Options"/>): columns, network, optimizer and phases, schedule, clipping, dropout,
/// scaling, validation, early stopping, progress, cancellation, checkpoints, threads, data mode and distribution.
/// </summary>
public abstract class AdamMlpOptionsBase
{
    /// <summary>
    /// Name of the label column. Default "Label". Its type depends on the trainer: a key for <see cref="AdamMlpTrainer"/>
    /// (add <c>MapValueToKey</c> before it), Boolean for <see cref="AdamMlpBinaryTrainer"/>, Single for <see cref="AdamMlpRegressionTrainer"/>.
    /// </summary>
    public string LabelColumnName { get; set; } = AdamMlpTrainerBase.Defaults.LabelColumnName;

    /// <summary>Name of the feature column: a known-size vector of <see cref="float"/>, dense or sparse. Default "Features".</summary>
    public string FeatureColumnName { get; set; } = AdamMlpTrainerBase.Defaults.FeatureColumnName;

    /// <summary>Name of an optional <see cref="float"/> example-weight column; null (default) weighs every row 1.</summary>
    public string? ExampleWeightColumnName { get; set; }

    /// <summary>Widths of the hidden layers, input side first. Default <c>[100]</c>; an empty array gives multinomial logistic regression. Every width must be &gt; 0.</summary>
    public int[] HiddenLayerSizes { get; set; } = [AdamMlpTrainerBase.Defaults.HiddenLayerSize];

    /// <summary>Activation after every hidden layer. Default <see cref="MlpActivation.Relu"/>.</summary>
    public MlpActivation Activation { get; set; } = AdamMlpTrainerBase.Defaults.Activation;

    /// <summary>How the starting weights are drawn. Default <see cref="WeightInitialization.Glorot"/> (scikit-learn's).</summary>
    public WeightInitialization WeightInitialization { get; set; } = WeightInitialization.Glorot;

    /// <summary>
    /// The optimizer. Default: <see cref="AdamOptimizer"/> with PyTorch's defaults (lr 1e-3, betas 0.9/0.999, eps 1e-8).
    /// Any <see cref="StochasticOptimizer"/> or <see cref="BatchOptimizer"/>, including your own.
    /// </summary>
    public MlpOptimizer Optimizer { get; set; } = new AdamOptimizer();

    /// <summary>Rows per mini-batch for a <see cref="StochasticOptimizer"/> (the last batch of an epoch may be smaller). Default 200; must be &gt; 0. Not used by a <see cref="BatchOptimizer"/>.</summary>
    public int BatchSize { get; set; } = AdamMlpTrainerBase.Defaults.BatchSize;

    /// <summary>
    /// Largest number of passes over the training data for a <see cref="StochasticOptimizer"/>. Default 200; must be
    /// &gt; 0. <see cref="EarlyStopping"/> may end training sooner. Not used by a <see cref="BatchOptimizer"/>, which has its own iteration limit.
    /// </summary>
    public int NumberOfEpochs { get; set; } = AdamMlpTrainerBase.Defaults.NumberOfEpochs;

    /// <summary>Reshuffle the rows before every epoch (seeded). Default true; false visits rows in data order.</summary>
    public bool Shuffle { get; set; } = true;

    /// <summary>
    /// L2 penalty <c>λ</c>: the objective adds <c>λ/2 · Σ W²</c> over all weight matrices (biases excluded) to the mean
    /// cross-entropy. Default 0; must be finite and ≥ 0. (Independent of an optimizer's own weight decay.)
    /// </summary>
    public float L2Regularization { get; set; } = AdamMlpTrainerBase.Defaults.L2Regularization;

    /// <summary>How the learning rate of a <see cref="StochasticOptimizer"/> changes over training; null (default) keeps it constant. Ignored by batch optimizers.</summary>
    public LearningRateSchedule? LearningRateSchedule { get; set; }

    /// <summary>
    /// Rescale each mini-batch gradient so that its global L2 norm is at most this value, before the optimizer step
    /// (PyTorch's <c>clip_grad_norm_</c>). Null (default) for no clipping; must be finite and &gt; 0.
    /// </summary>
    public float? GradientClipNorm { get; set; }

    /// <summary>Clamp every gradient component to [−value, value] before the optimizer step (PyTorch's <c>clip_grad_value_</c>). Null (default) for none; must be finite and &gt; 0.</summary>
    public float? GradientClipValue { get; set; }

    /// <summary>
    /// Probability of zeroing each hidden unit during training (inverted dropout: kept units are scaled by 1/(1 − p);
    /// seeded; scoring is unaffected). Default 0; valid range [0, 1). Mini-batch training only: not allowed with a <see cref="BatchOptimizer"/>.
    /// </summary>
    public float DropoutRate { get; set; }

    /// <summary>
    /// Optional sequence of optimizers run one after another, each continuing from the previous one's weights (for example
    /// Adam for 20 epochs, then L-BFGS to polish). When not empty, it replaces <see cref="Optimizer"/>,
    /// <see cref="NumberOfEpochs"/> and <see cref="LearningRateSchedule"/>; the history records each epoch's phase.
    /// </summary>
    public IList<TrainingPhase> Phases { get; set; } = new List<TrainingPhase>();

    /// <summary>
    /// File to write a <see cref="TrainingCheckpoint"/> to every <see cref="CheckpointPeriod"/> epochs and at the end of
    /// every phase (written atomically: the last good checkpoint always survives). Null (default) writes none.
    /// </summary>
    public string? CheckpointPath { get; set; }

    /// <summary>Epochs between checkpoints (counted over all phases). Default 1; must be &gt; 0.</summary>
    public int CheckpointPeriod { get; set; } = 1;

    /// <summary>
    /// Threads for training (the matrix products and the Adam update are split between them by output columns and
    /// element ranges, so the trained weights are bit-identical whatever the count). Null (default) uses every core; must be ≥ 1.
    /// </summary>
    public int? NumberOfThreads { get; set; }

    /// <summary>Seed of the weight initialization and the shuffling. Null (default) derives it from the <c>MLContext</c>'s seed.</summary>
    public int? Seed { get; set; }

    /// <summary>
    /// Whether the training rows are read once into memory or streamed from the data view every epoch.
    /// <see cref="TrainingDataMode.Auto"/> (default) streams only when the data, as float32, would take more than half the
    /// available memory (and its row count is known, as for a binary <c>.idv</c> file).
    /// </summary>
    public TrainingDataMode DataMode { get; set; } = TrainingDataMode.Auto;

    /// <summary>
    /// Rows held by the seeded shuffle buffer when streaming. Default 10,000; must be ≥ 1. Streamed rows are only locally
    /// shuffled: a row moves at most about this many places from its position in the data, so pre-shuffle data sorted by label.
    /// </summary>
    public int ShuffleBufferSize { get; set; } = 10_000;

    /// <summary>
    /// Scale the features inside the trainer: dense features are centered and divided by their standard deviation,
    /// sparse features divided by their largest absolute value (they stay sparse), constant features are left alone; the statistics
    /// come from the training rows (a streamed view gets one extra pass). When training ends the map is folded into
    /// the first layer, so the model, <c>Transform</c>, <c>PredictionEngine</c>, <c>Model.Save</c>, ONNX export, warm
    /// start and checkpoints all take raw features. Default true; false trains on the features as they are.
    /// Folding into float weights costs about float precision × |mean| / std of a feature in the logits, so a
    /// feature far from zero relative to its spread (a year, an id) is better centered before the trainer.
    /// </summary>
    public bool NormalizeFeatures { get; set; } = AdamMlpTrainerBase.Defaults.NormalizeFeatures;

    /// <summary>
    /// Share of the training rows held out for validation when <c>Fit</c> gets no validation data: a stratified,
    /// seeded split (from <see cref="Seed"/>). Default 0 (none); valid range [0, 1). Not available with streaming.
    /// </summary>
    public float ValidationFraction { get; set; }

    /// <summary>
    /// When to stop a phase before <see cref="NumberOfEpochs"/>. Default: a convergence stop as scikit-learn's
    /// (training loss improving by less than 1e-4 for 10 epochs, last weights kept). Set a validation metric (with
    /// validation data or <see cref="ValidationFraction"/>) for early stopping with the best weights restored; null
    /// trains every epoch.
    /// </summary>
    public EarlyStopping? EarlyStopping { get; set; } = new()
    {
        Metric = EarlyStoppingMetric.TrainingLoss,
        Patience = AdamMlpTrainerBase.Defaults.ConvergencePatience,
        MinimumImprovement = AdamMlpTrainerBase.Defaults.ConvergenceTolerance,
        RestoreBestWeights = false,
    };

    /// <summary>Receives a <see cref="TrainingProgress"/> at the end of every epoch and about every half second within one; null (default) for none. Called on the training thread.</summary>
    public IProgress<TrainingProgress>? Progress { get; set; }

    /// <summary>
    /// Stops <c>Fit</c> within one mini-batch (one loss evaluation for a batch optimizer) with an
    /// <see cref="OperationCanceledException"/>; <c>MLContext.CancelExecution()</c> does the same. The last checkpoint
    /// written stays loadable. Default: none.
    /// </summary>
    public CancellationToken CancellationToken { get; set; }

    /// <summary>
    /// Train on several processes at once (synchronous data parallelism), e.g. <c>MpiCommunicator.World</c> under
    /// <c>mpirun</c>: every rank reads the same data, takes its share of each global batch of <see cref="BatchSize"/>
    /// rows, and the gradients are summed so that every rank takes the same step and returns the same model. Rank 0
    /// alone logs, reports progress and writes checkpoints. Null (default) trains in this process alone. In-memory
    /// data only; dropout is refused (each rank would draw other masks).
    /// </summary>
    public Distributed.Communicator? Communicator { get; set; }

    /// <summary>With a <see cref="Communicator"/>: whether every rank reads the same data (default) or its own shard.</summary>
    public DataDistribution DataDistribution { get; set; } = DataDistribution.Replicated;

    /// <summary>How the training rows are held in memory; <see cref="FeatureStorage.Auto"/> picks sparse rows for sparse data. For tests.</summary>
    internal FeatureStorage Storage { get; set; } = FeatureStorage.Auto;
}
