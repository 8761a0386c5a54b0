using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetAdam.Data;
using MLNetAdam.Model;
using MLNetAdam.Numerics;
using MLNetAdam.Numerics.Kernels;
using MLNetAdam.Optimizers;
using MLNetAdam.Trainer;

namespace MLNetAdam;

/// <summary>
/// Trains a softmax multilayer perceptron classifier: fully connected hidden layers with an activation, a softmax
/// output layer, and the example-weighted mean cross-entropy (plus optional L2) minimized by a pluggable optimizer
/// (<see cref="AdamOptimizer"/> by default). An ML.NET estimator: put it in a pipeline after <c>MapValueToKey</c> on
/// the label and a feature vector, and it returns an <see cref="AdamMlpTransformer"/> that adds <c>Score</c> and
/// <c>PredictedLabel</c>.
/// </summary>
/// <remarks>
/// The training rows are read once into memory (sparse rows stay sparse). Rows with a missing label, a NaN or
/// infinite feature, or a negative or NaN weight are skipped, and their count is logged as a warning. Hidden layers
/// of the ReLU family are He-initialized, the others and the output layer Glorot-initialized (uniform), biases zero,
/// all from <see cref="Options.Seed"/>. Progress is logged through the <c>MLContext</c> (<c>mlContext.Log</c>), one line per epoch.
/// </remarks>
public sealed partial class AdamMlpTrainer : IEstimator<AdamMlpTransformer>
{
    private const string RegistrationName = "AdamMlpTrainer";
    private readonly MLContext _mlContext;
    private readonly Options _options;

    /// <summary>Creates a trainer with the given options.</summary>
    /// <param name="mlContext">The context: its seed and its log are used.</param>
    /// <param name="options">Training options; checked when training starts.</param>
    public AdamMlpTrainer(MLContext mlContext, Options options)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(options);
        _mlContext = mlContext;
        _options = options;
        ValidateOptions(options);
    }

    /// <summary>Creates a trainer with default options and the given columns and hidden layers.</summary>
    /// <param name="mlContext">The context: its seed and its log are used.</param>
    /// <param name="labelColumnName">Label column (a key type).</param>
    /// <param name="featureColumnName">Feature column (a known-size vector of Single).</param>
    /// <param name="hiddenLayerSizes">Hidden layer widths; null means <c>[100]</c>.</param>
    public AdamMlpTrainer(MLContext mlContext, string labelColumnName = Defaults.LabelColumnName, string featureColumnName = Defaults.FeatureColumnName, int[]? hiddenLayerSizes = null)
        : this(mlContext, new Options
        {
            LabelColumnName = labelColumnName,
            FeatureColumnName = featureColumnName,
            HiddenLayerSizes = hiddenLayerSizes ?? [Defaults.HiddenLayerSize],
        })
    {
    }

    /// <summary>Trains on <paramref name="input"/>.</summary>
    /// <param name="input">Training data with the label, feature and (optional) weight columns.</param>
    public AdamMlpTransformer Fit(IDataView input) => Fit(input, validationData: null);

    /// <summary>Trains on <paramref name="trainData"/>, reporting the loss on <paramref name="validationData"/> after every epoch.</summary>
    /// <param name="trainData">Training data with the label, feature and (optional) weight columns.</param>
    /// <param name="validationData">Data with the same columns whose loss is logged and recorded in the history; may be null.</param>
    public AdamMlpTransformer Fit(IDataView trainData, IDataView? validationData) => Fit(trainData, validationData, initialModel: null);

    /// <summary>Warm start: continues training from the weights of <paramref name="initialModel"/> (with fresh optimizer state).</summary>
    /// <param name="trainData">Training data; its label must have the model's classes in the same order.</param>
    /// <param name="initialModel">A trained model with the same layer sizes and activation as these options give.</param>
    public AdamMlpTransformer Fit(IDataView trainData, AdamMlpModelParameters initialModel) => Fit(trainData, null, initialModel);

    /// <summary>Resumes an interrupted run exactly from <paramref name="checkpoint"/> (weights, optimizer state, random stream, counters).</summary>
    /// <param name="trainData">The same training data the checkpointed run used.</param>
    /// <param name="checkpoint">A checkpoint written by a run with these options.</param>
    public AdamMlpTransformer Fit(IDataView trainData, TrainingCheckpoint checkpoint) => Fit(trainData, null, checkpoint);

    /// <summary>Warm start with validation data; see <see cref="Fit(IDataView, AdamMlpModelParameters)"/>.</summary>
    /// <param name="trainData">Training data.</param>
    /// <param name="validationData">Validation data, or null.</param>
    /// <param name="initialModel">Model whose weights training starts from, or null for a fresh initialization.</param>
    public AdamMlpTransformer Fit(IDataView trainData, IDataView? validationData, AdamMlpModelParameters? initialModel) =>
        FitCore(trainData, validationData, initialModel, checkpoint: null);

    /// <summary>Resume with validation data; see <see cref="Fit(IDataView, TrainingCheckpoint)"/>.</summary>
    /// <param name="trainData">Training data.</param>
    /// <param name="validationData">Validation data, or null.</param>
    /// <param name="checkpoint">The checkpoint to continue from.</param>
    public AdamMlpTransformer Fit(IDataView trainData, IDataView? validationData, TrainingCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        return FitCore(trainData, validationData, initialModel: null, checkpoint);
    }

    private AdamMlpTransformer FitCore(IDataView trainData, IDataView? validationData, AdamMlpModelParameters? initialModel, TrainingCheckpoint? checkpoint)
    {
        ArgumentNullException.ThrowIfNull(trainData);
        ValidateOptions(_options);

        IHost host = ((IHostEnvironment)_mlContext).Register(RegistrationName);
        int seed = _options.Seed ?? host.Rand.Next();
        using IChannel channel = host.Start("Training");

        var schema = trainData.Schema;
        var label = TrainingDataLoader.CheckLabel(schema, _options.LabelColumnName);
        var features = TrainingDataLoader.CheckFeatures(schema, _options.FeatureColumnName);
        var weight = TrainingDataLoader.CheckWeight(schema, _options.ExampleWeightColumnName);
        int featureCount = ((VectorDataViewType)features.Type).Size;
        int classCount = (int)((KeyDataViewType)label.Type).Count;
        bool stream = ShouldStream(trainData, featureCount, channel);
        var train = stream ? null : LoadRows(trainData, label, features, weight, channel, "training");

        TrainingData? validation = null;
        if (validationData is not null)
        {
            var vSchema = validationData.Schema;
            var vLabel = TrainingDataLoader.CheckLabel(vSchema, _options.LabelColumnName);
            var vFeatures = TrainingDataLoader.CheckFeatures(vSchema, _options.FeatureColumnName);
            if (!vLabel.Type.Equals(label.Type) || !vFeatures.Type.Equals(features.Type))
                throw new ArgumentException(
                    $"The validation data's label ({vLabel.Type}) or features ({vFeatures.Type}) differ from the training data's ({label.Type}, {features.Type}).",
                    nameof(validationData));
            validation = LoadRows(validationData, vLabel, vFeatures, TrainingDataLoader.CheckWeight(vSchema, _options.ExampleWeightColumnName), channel, "validation");
        }

        var sizes = new List<int> { featureCount };
        sizes.AddRange(_options.HiddenLayerSizes);
        sizes.Add(classCount);
        var layout = new ParameterLayout(sizes);
        var random = new SeededRandom(seed);
        var parameters = Initialize(layout, _options.Activation, random);
        string[] classNames = ClassNames.Read(label, classCount);
        var start = checkpoint is null ? initialModel : checkpoint.Model;
        if (start is not null)
        {
            CheckCompatible(start, layout, classNames, checkpoint is null ? "initial model" : "checkpoint");
            start.GetParameters().CopyTo(parameters, 0);
        }
        int threads = _options.NumberOfThreads ?? Environment.ProcessorCount;
        using var pool = threads > 1 ? new WorkerPool(threads) : null;
        var problem = new TrainingProblem(train, validation, layout, _options.Activation, _options.L2Regularization, random)
        {
            Pool = pool,
            Stream = !stream ? null : batchSize => new StreamingBatches(
                trainData, label, features, weight, classCount, batchSize, _options.ShuffleBufferSize, sparse: StreamSparse(trainData, features)),
            BatchSize = _options.BatchSize,
            Shuffle = _options.Shuffle,
            GradientClipNorm = _options.GradientClipNorm,
            GradientClipValue = _options.GradientClipValue,
            DropoutRate = _options.DropoutRate,
        };

        var phases = Phases(_options);
        channel.Info(MessageSensitivity.None,
            $"Training a {string.Join("-", sizes)} MLP ({layout.ParameterCount} parameters) on {(train is null ? $"rows streamed through a {_options.ShuffleBufferSize}-row shuffle buffer" : $"{train.RowCount} rows ({(train.IsSparse ? "sparse" : "dense")})")} with {string.Join(" then ", phases.Select(p => p.Optimizer.GetType().Name))}, seed {seed}, {threads} thread(s), {GemmKernel.InstructionSet} kernels.");
        var checkpoints = _options.CheckpointPath is null ? null
            : new TrainingDrivers.CheckpointSettings(_options.CheckpointPath, _options.CheckpointPeriod, classNames, features.Name);
        var drivers = new TrainingDrivers(problem, parameters, channel, checkpoints);
        drivers.Run(phases, checkpoint?.Data);
        var history = drivers.History;

        var model = new AdamMlpModelParameters(layout, _options.Activation, parameters, classNames, history);
        return new AdamMlpTransformer(_mlContext, model, features.Name, features.Type, label.Annotations);
    }

    /// <summary>
    /// The output shape: the input columns plus <c>Score</c> (vector of Single) and <c>PredictedLabel</c> (key with the
    /// label's key values). Checks the label, feature and weight columns first.
    /// </summary>
    /// <param name="inputSchema">Shape of the training data.</param>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        string labelName = _options.LabelColumnName, featureName = _options.FeatureColumnName;
        if (!TryFindColumn(inputSchema, labelName, out var label))
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Label column '{labelName}' was not found in the data. Set Options.LabelColumnName to the label column.");
        if (!label.IsKey || label.Kind != SchemaShape.Column.VectorKind.Scalar)
            throw new ArgumentOutOfRangeException(nameof(inputSchema),
                $"Label column '{labelName}' is not a key type, but AdamMlpTrainer needs one. Add mlContext.Transforms.Conversion.MapValueToKey(\"{labelName}\") before the trainer.");
        if (!TryFindColumn(inputSchema, featureName, out var features))
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Feature column '{featureName}' was not found in the data. Set Options.FeatureColumnName, or build it with mlContext.Transforms.Concatenate(\"{featureName}\", ...).");
        if (features.Kind != SchemaShape.Column.VectorKind.Vector || features.ItemType != NumberDataViewType.Single)
            throw new ArgumentOutOfRangeException(nameof(inputSchema),
                $"Feature column '{featureName}' must be a known-size vector of Single; it is {(features.Kind == SchemaShape.Column.VectorKind.VariableVector ? "a vector of variable size" : features.Kind.ToString().ToLowerInvariant())} of {features.ItemType}.");
        string? weightName = _options.ExampleWeightColumnName;
        if (weightName is not null)
        {
            if (!TryFindColumn(inputSchema, weightName, out var weight))
                throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Example weight column '{weightName}' was not found in the data.");
            if (weight.Kind != SchemaShape.Column.VectorKind.Scalar || weight.ItemType != NumberDataViewType.Single)
                throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Example weight column '{weightName}' must be a Single scalar.");
        }

        // SchemaShape.Column cannot be built outside ML.NET; a built-in multiclass trainer describes the same two
        // output columns (Score with its annotations, PredictedLabel with the label's key values).
        var reference = _mlContext.MulticlassClassification.Trainers.LbfgsMaximumEntropy(labelName, featureName, weightName);
        return reference.GetOutputSchema(inputSchema);
    }

    // Streaming keeps memory bounded; Auto streams only when the data, as float32, would take over half the available memory.
    private bool ShouldStream(IDataView data, int featureCount, IChannel channel)
    {
        switch (_options.DataMode)
        {
            case TrainingDataMode.InMemory:
                return false;
            case TrainingDataMode.Streaming:
                return true;
        }
        if (data.GetRowCount() is not long rows)
            return false;
        double bytes = 4.0 * rows * featureCount;
        double available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (bytes <= 0.5 * available)
            return false;
        channel.Info(MessageSensitivity.None, $"The training data ({bytes / (1 << 30):F1} GiB as float32) exceeds half the available memory ({available / (1 << 30):F1} GiB): streaming it every epoch.");
        return true;
    }

    // Streamed rows are kept sparse when the storage option says so, or when the first row arrives as a sparse vector.
    private bool StreamSparse(IDataView data, DataViewSchema.Column features)
    {
        if (_options.Storage != FeatureStorage.Auto)
            return _options.Storage == FeatureStorage.Sparse;
        using var cursor = data.GetRowCursor([features]);
        var getter = cursor.GetGetter<VBuffer<float>>(features);
        VBuffer<float> first = default;
        if (!cursor.MoveNext())
            return false;
        getter(ref first);
        return !first.IsDense;
    }

    // A warm start or resume must fit the network these options and this data describe.
    private void CheckCompatible(AdamMlpModelParameters start, ParameterLayout layout, string[] classNames, string what)
    {
        if (!start.LayerSizes.SequenceEqual(layout.Sizes))
            throw new ArgumentException(
                $"The {what} has layer sizes [{string.Join(", ", start.LayerSizes)}] but the options and data give [{string.Join(", ", layout.Sizes)}] (features, hidden layers, classes).");
        if (start.Activation != _options.Activation)
            throw new ArgumentException($"The {what} uses activation {start.Activation} but Options.Activation is {_options.Activation}.");
        if (!start.ClassNames.SequenceEqual(classNames))
            throw new ArgumentException(
                $"The {what} was trained on classes [{string.Join(", ", start.ClassNames)}] but the label's key values are [{string.Join(", ", classNames)}]; map the labels to keys the same way (same values, same order).");
    }

    private static bool TryFindColumn(SchemaShape shape, string name, out SchemaShape.Column column)
    {
        // The last column of a name wins, as in a DataViewSchema.
        column = default;
        bool found = false;
        foreach (var c in shape)
        {
            if (c.Name == name)
            {
                column = c;
                found = true;
            }
        }
        return found;
    }

    private TrainingData LoadRows(IDataView data, DataViewSchema.Column label, DataViewSchema.Column features, DataViewSchema.Column? weight, IChannel channel, string what)
    {
        var rows = TrainingDataLoader.Load(data, label, features, weight, _options.Storage, out long skipped);
        if (skipped > 0)
            channel.Warning(MessageSensitivity.None, $"Skipped {skipped} {what} rows with a missing label, a NaN or infinite feature, or a negative, NaN or infinite weight.");
        if (rows.RowCount == 0)
            throw new InvalidOperationException(
                skipped > 0
                    ? $"No usable {what} rows: all {skipped} rows have a missing label (key 0), a NaN or infinite value in '{features.Name}', or an invalid weight."
                    : $"The {what} data is empty: it has no rows.");
        return rows;
    }

    // He-uniform for the ReLU family (and GELU), Glorot-uniform otherwise and for the softmax layer; biases zero.
    private static float[] Initialize(ParameterLayout layout, MlpActivation activation, SeededRandom random)
    {
        var parameters = new float[layout.ParameterCount];
        bool he = activation is MlpActivation.Relu or MlpActivation.LeakyRelu or MlpActivation.Gelu;
        for (int l = 0; l < layout.LayerCount; l++)
        {
            int fanIn = layout.InputsOf(l), fanOut = layout.OutputsOf(l);
            bool hidden = l < layout.LayerCount - 1;
            double bound = hidden && he ? Math.Sqrt(6.0 / fanIn) : Math.Sqrt(6.0 / (fanIn + fanOut));
            var weights = layout.Weights(parameters.AsSpan(), l);
            for (int i = 0; i < weights.Length; i++)
                weights[i] = (float)((2 * random.NextDouble() - 1) * bound);
        }
        return parameters;
    }

    private static void ValidateOptions(Options options)
    {
        Require(options.LabelColumnName is { Length: > 0 }, nameof(Options.LabelColumnName), "must name a column", options.LabelColumnName);
        Require(options.FeatureColumnName is { Length: > 0 }, nameof(Options.FeatureColumnName), "must name a column", options.FeatureColumnName);
        Require(options.HiddenLayerSizes is not null, nameof(Options.HiddenLayerSizes), "must not be null (use an empty array for no hidden layer)", null);
        for (int i = 0; i < options.HiddenLayerSizes!.Length; i++)
            Require(options.HiddenLayerSizes[i] > 0, nameof(Options.HiddenLayerSizes), $"must all be > 0, but entry {i} is {options.HiddenLayerSizes[i]}", options.HiddenLayerSizes[i]);
        Require(Enum.IsDefined(options.Activation), nameof(Options.Activation), "must be one of " + string.Join(", ", Enum.GetNames<MlpActivation>()), options.Activation);
        Require(options.BatchSize > 0, nameof(Options.BatchSize), "must be > 0", options.BatchSize);
        Require(options.L2Regularization >= 0 && float.IsFinite(options.L2Regularization), nameof(Options.L2Regularization), "must be a finite number ≥ 0", options.L2Regularization);
        Require(options.GradientClipNorm is null || (options.GradientClipNorm > 0 && float.IsFinite(options.GradientClipNorm.Value)),
            nameof(Options.GradientClipNorm), "must be a finite number > 0 (or null for no clipping)", options.GradientClipNorm);
        Require(options.GradientClipValue is null || (options.GradientClipValue > 0 && float.IsFinite(options.GradientClipValue.Value)),
            nameof(Options.GradientClipValue), "must be a finite number > 0 (or null for no clipping)", options.GradientClipValue);
        Require(options.NumberOfThreads is null or >= 1, nameof(Options.NumberOfThreads), "must be null (all cores) or ≥ 1", options.NumberOfThreads);
        Require(options.CheckpointPeriod > 0, nameof(Options.CheckpointPeriod), "must be > 0", options.CheckpointPeriod);
        Require(options.CheckpointPath is null || options.CheckpointPath.Length > 0, nameof(Options.CheckpointPath), "must be null or a file path", options.CheckpointPath);
        Require(Enum.IsDefined(options.DataMode), nameof(Options.DataMode), "must be Auto, InMemory or Streaming", options.DataMode);
        Require(options.ShuffleBufferSize >= 1, nameof(Options.ShuffleBufferSize), "must be ≥ 1", options.ShuffleBufferSize);
        Require(options.DropoutRate >= 0 && options.DropoutRate < 1, nameof(Options.DropoutRate), "must be in [0, 1)", options.DropoutRate);
        Require(options.Phases is not null, nameof(Options.Phases), "must not be null (leave it empty for a single optimizer)", null);
        if (options.Phases!.Count == 0)
        {
            Require(options.Optimizer is not null, nameof(Options.Optimizer), "must not be null", null);
        }
        foreach (var phase in Phases(options))
        {
            Require(phase is not null, nameof(Options.Phases), "must not contain null", null);
            Require(phase!.Optimizer is not null, nameof(TrainingPhase.Optimizer), "must not be null", null);
            phase.Optimizer!.Validate();
            phase.LearningRateSchedule?.Validate();
            if (phase.Optimizer is StochasticOptimizer)
                Require(phase.NumberOfEpochs > 0, nameof(Options.NumberOfEpochs), "must be > 0", phase.NumberOfEpochs);
            else
                Require(options.DataMode != TrainingDataMode.Streaming, nameof(Options.DataMode),
                    $"must not be Streaming with the full-batch {phase.Optimizer.GetType().Name}, which needs every row in memory for its repeated full passes", options.DataMode);
            if (phase.Optimizer is not StochasticOptimizer)
                Require(options.DropoutRate == 0, nameof(Options.DropoutRate), $"must be 0 with the full-batch {phase.Optimizer.GetType().Name}, whose line search needs a deterministic objective", options.DropoutRate);
        }
    }

    /// <summary>The phases to run: <see cref="Options.Phases"/>, or the single optimizer of the options.</summary>
    private static IReadOnlyList<TrainingPhase> Phases(Options options) =>
        options.Phases.Count > 0
            ? options.Phases.ToArray()
            : [new TrainingPhase { Optimizer = options.Optimizer, NumberOfEpochs = options.NumberOfEpochs, LearningRateSchedule = options.LearningRateSchedule }];

    private static void Require(bool condition, string option, string rule, object? value)
    {
        if (!condition)
            throw new ArgumentOutOfRangeException(option, value, $"AdamMlpTrainer.Options.{option} {rule}; got {value ?? "null"}.");
    }
}
