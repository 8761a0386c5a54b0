using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetAdam.Data;
using MLNetAdam.Model;
using MLNetAdam.Numerics;
using MLNetAdam.Numerics.Kernels;
using MLNetAdam.Optimizers;

namespace MLNetAdam.Training;

/// <summary>
/// The engine every AdamMlp trainer shares: it trains a multilayer perceptron (fully connected hidden layers with an
/// activation, and an output layer whose loss the trainer chooses) on the example-weighted mean loss plus optional L2,
/// minimized by a pluggable optimizer (<see cref="AdamOptimizer"/> by default), and returns an
/// <see cref="AdamMlpTransformer"/>. Use <see cref="AdamMlpTrainer"/> (multiclass), <see cref="AdamMlpBinaryTrainer"/>
/// or <see cref="AdamMlpRegressionTrainer"/>.
/// </summary>
/// <remarks>
/// The training rows are read once into memory (sparse rows stay sparse), or streamed from the data view every epoch
/// when <see cref="AdamMlpOptionsBase.DataMode"/> says so (see <see cref="TrainingDataMode"/>). Rows with a missing label (or a NaN
/// target), a NaN or infinite feature, or a negative or NaN weight are skipped, and their count is logged as a warning. Weights are
/// Glorot-uniform (or He, see <see cref="AdamMlpOptionsBase.WeightInitialization"/>), biases zero, all from <see cref="AdamMlpOptionsBase.Seed"/>.
/// Progress is logged through the <c>MLContext</c> (<c>mlContext.Log</c>), one line per epoch.
/// </remarks>
public abstract partial class AdamMlpTrainerBase : IEstimator<AdamMlpTransformer>
{
    private readonly IHostEnvironment _env;
    private readonly MLContext _mlContext;
    private readonly AdamMlpOptionsBase _options;

    /// <summary>
    /// <paramref name="env"/> gives the seed, the log and the cancellation; <paramref name="context"/> builds ML.NET's
    /// own transformers when the model is saved (the catalog extensions see only the context's environment).
    /// </summary>
    private protected AdamMlpTrainerBase(IHostEnvironment env, MLContext context, AdamMlpOptionsBase options)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(options);
        _env = env;
        _mlContext = context;
        _options = options;
        ValidateOptions(options);
    }

    /// <summary>What the trained network predicts; the label kind and the early-stopping metrics follow from it.</summary>
    private protected abstract MlpTask Task { get; }

    /// <summary>The output layer's loss (of <see cref="Task"/>'s kind).</summary>
    private protected abstract OutputHead Head { get; }

    /// <summary>What the label column must hold.</summary>
    private LabelKind LabelKind => Task switch
    {
        MlpTask.MulticlassClassification => LabelKind.Key,
        MlpTask.BinaryClassification => LabelKind.Boolean,
        _ => LabelKind.Single,
    };

    /// <summary>Per-class weights (classifiers); null for none.</summary>
    private protected virtual ClassWeights? ClassWeights => null;

    /// <summary>A built-in ML.NET trainer of the same task and columns, whose <c>GetOutputSchema</c> describes ours.</summary>
    private protected abstract IEstimator<ITransformer> ReferenceTrainer(MLContext mlContext, string label, string features, string? weight);

    /// <summary>Checks the options only the derived trainer has (called when it is made and when training starts).</summary>
    private protected virtual void ValidateTaskOptions(AdamMlpOptionsBase options)
    {
    }

    private string TrainerName => GetType().Name;

    private string OptionsName => TrainerName + ".Options";

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
        if (_options.Communicator is not { } communicator)
            return FitAlone(trainData, validationData, initialModel, checkpoint);
        try
        {
            return FitAlone(trainData, validationData, initialModel, checkpoint);
        }
        catch (Exception e)
        {
            // One rank's error ends the whole job at once: the others would wait forever in their next sum.
            Console.Error.WriteLine($"{TrainerName} on rank {communicator.Rank} of {communicator.Size} failed; aborting the job: {e}");
            communicator.Abort(1);
            throw;
        }
    }

    private AdamMlpTransformer FitAlone(IDataView trainData, IDataView? validationData, AdamMlpModelParameters? initialModel, TrainingCheckpoint? checkpoint)
    {
        ArgumentNullException.ThrowIfNull(trainData);
        ValidateOptions(_options);

        IHost host = _env.Register(TrainerName);
        var communicator = _options.Communicator;
        int seed = _options.Seed ?? host.Rand.Next();
        if (communicator is not null)
            seed = CommonSeed(communicator, seed);
        using IChannel channel = host.Start("Training");
        var hostCancelled = MLNetInternals.CancellationProbe(host);

        var schema = trainData.Schema;
        var label = new TrainingLabel(ColumnChecks.Label(schema, _options.LabelColumnName, LabelKind, TrainerName), LabelKind);
        var features = ColumnChecks.Features(schema, _options.FeatureColumnName);
        var weight = ColumnChecks.Weight(schema, _options.ExampleWeightColumnName);
        int featureCount = ((VectorDataViewType)features.Type).Size;
        int classCount = label.ClassCount;
        string[] classNames = Task switch
        {
            MlpTask.MulticlassClassification => ClassNames.Read(label.Column, classCount),
            MlpTask.BinaryClassification => AdamMlpModelParameters.BinaryClassNames.ToArray(),
            _ => [],
        };
        var phases = Phases(_options);
        bool stream = ShouldStream(trainData, featureCount, phases, channel);
        bool sharded = communicator is not null && _options.DataDistribution == DataDistribution.Sharded;
        if (sharded && _options.CheckpointPath is not null)
            throw new ArgumentException($"{OptionsName}.CheckpointPath is not supported with DataDistribution.Sharded yet (each rank shuffles its own shard); use DataDistribution.Replicated to checkpoint.");
        if (communicator is not null && stream)
            throw new ArgumentException($"{OptionsName}.Communicator trains on data held in memory on every rank; DataMode resolved to Streaming. Set DataMode = InMemory, or train in one process.");
        if (communicator is not null && _options.DropoutRate > 0)
            throw new ArgumentOutOfRangeException(nameof(AdamMlpOptionsBase.DropoutRate), _options.DropoutRate,
                $"{OptionsName}.DropoutRate must be 0 with a Communicator: each rank would draw other dropout masks and the ranks' random streams would part.");
        if (stream && _options.ValidationFraction > 0 && validationData is null)
            throw new ArgumentOutOfRangeException(nameof(AdamMlpOptionsBase.ValidationFraction), _options.ValidationFraction,
                $"{OptionsName}.ValidationFraction cannot hold rows out of streamed data; pass a validation set to Fit(train, validation) instead.");
        if (_options.EarlyStopping is { NeedsValidation: true } && validationData is null && !(_options.ValidationFraction > 0))
            throw new ArgumentException(
                $"{OptionsName}.EarlyStopping watches {_options.EarlyStopping.Metric}, which needs validation data: call Fit(train, validation), or set Options.ValidationFraction, or watch TrainingLoss.");
        // A checkpoint file that cannot be written fails now, not after the last epoch.
        if (_options.CheckpointPath is { } checkpointPath)
            Persistence.AtomicFile.CheckDestination(checkpointPath, "Options.CheckpointPath");
        var train = stream ? null : LoadRows(trainData, label, features, weight, channel, "training");

        TrainingData? validation = null;
        if (validationData is not null)
        {
            var vSchema = validationData.Schema;
            var vLabel = ColumnChecks.Label(vSchema, _options.LabelColumnName, LabelKind, TrainerName);
            var vFeatures = ColumnChecks.Features(vSchema, _options.FeatureColumnName);
            if (!vLabel.Type.Equals(label.Column.Type) || !vFeatures.Type.Equals(features.Type))
                throw new ArgumentException(
                    $"The validation data's label ({vLabel.Type}) or features ({vFeatures.Type}) differ from the training data's ({label.Column.Type}, {features.Type}).",
                    nameof(validationData));
            validation = LoadRows(validationData, new TrainingLabel(vLabel, LabelKind), vFeatures, ColumnChecks.Weight(vSchema, _options.ExampleWeightColumnName), channel, "validation");
        }
        else if (_options.ValidationFraction > 0)
        {
            (train, validation) = ValidationSplit.Split(train!, _options.ValidationFraction, seed);
            channel.Info(MessageSensitivity.None, $"Held out {validation.RowCount} of {train.RowCount + validation.RowCount} training rows for validation (stratified, ValidationFraction {_options.ValidationFraction}).");
        }

        // One pass over a streamed view gives what in-memory rows give directly: class counts and feature statistics.
        StreamingSummary? summary = stream && (ClassWeights is not null || (_options.NormalizeFeatures && checkpoint?.Scaling is null) || (label.HasTargets && checkpoint is null))
            ? StreamingSummary.Read(trainData, label, features, weight, StreamSparse(trainData, features))
            : null;

        float[]? classWeights = null;
        if (ClassWeights is { } perClass)
        {
            var counts = summary?.ClassCounts ?? CountClasses(train!);
            if (sharded)
                counts = SumOverRanks(communicator!, counts);
            classWeights = perClass.For(classNames, counts);
            channel.Info(MessageSensitivity.None, $"Class weights: {string.Join(", ", classNames.Select((n, c) => $"{n} {classWeights[c]:G4}"))}.");
            if (train is not null)
                train = train.WithWeights(WeighByClass(train, classWeights));
        }
        if (train is not null && !((sharded ? SumOverRanks(communicator!, [train.TotalWeight])[0] : train.TotalWeight) > 0))
            throw new InvalidOperationException(
                $"The training rows' total weight is {train.TotalWeight}: every usable row has weight 0"
                + (_options.ExampleWeightColumnName is { } w ? $" in example weight column '{w}'" : string.Empty)
                + (classWeights is not null ? " (after ClassWeights)" : string.Empty) + ", so there is nothing to learn from.");

        FeatureScaling? scaling = null;
        if (checkpoint is not null && checkpoint.Scaling is not null != _options.NormalizeFeatures)
            throw new ArgumentException(
                $"The checkpoint was written with NormalizeFeatures = {checkpoint.Scaling is not null}, but these options have NormalizeFeatures = {_options.NormalizeFeatures}; resume with the setting the checkpoint was written with.");
        if (_options.NormalizeFeatures)
        {
            // A resumed run keeps its checkpoint's scaling, so the rows it resumes on are scaled to the same bits.
            scaling = checkpoint?.Scaling ?? summary?.Scaling
                ?? (sharded ? FeatureScaling.OfShards(train!, communicator!.SumInPlace, communicator!.MaxInPlace) : FeatureScaling.Of(train!));
            if (train is not null)
                scaling.Apply(train);
            if (validation is not null)
                scaling.Apply(validation);
        }

        // Regression targets are standardized the same way, and the map is folded into the output layer at the end.
        TargetScaling? targetScaling = null;
        if (label.HasTargets)
        {
            targetScaling = checkpoint?.TargetScaling ?? summary?.Targets
                ?? TargetScaling.Of(train!.Targets!, sharded ? communicator!.SumInPlace : null);
            if (train is not null)
                train = train.WithTargets(targetScaling.Apply(train.Targets!));
            if (validation is not null)
                validation = validation.WithTargets(targetScaling.Apply(validation.Targets!));
            channel.Info(MessageSensitivity.None, $"Targets standardized: mean {targetScaling.Mean:G6}, standard deviation {targetScaling.Scale:G6}.");
        }

        var sizes = new List<int> { featureCount };
        sizes.AddRange(_options.HiddenLayerSizes);
        sizes.Add(Head.OutputCount(classCount));
        var layout = CheckedLayout(sizes);
        var random = new SeededRandom(seed);
        var parameters = Initialization.Weights(layout, _options.Activation, _options.WeightInitialization, random);
        if (checkpoint is not null)
        {
            CheckCompatible(checkpoint.Model, layout, classNames, "checkpoint");
            checkpoint.Record.Parameters.CopyTo(parameters, 0);
        }
        else if (initialModel is not null)
        {
            CheckCompatible(initialModel, layout, classNames, "initial model");
            var start = initialModel.GetParameters();
            if (targetScaling is not null)
                start = OutputScaling.Unfold(layout, start, targetScaling);
            (scaling is null ? start : InputScaling.Unfold(layout, start, scaling)).CopyTo(parameters, 0);
        }
        int threads = _options.NumberOfThreads ?? Environment.ProcessorCount;
        using var pool = threads > 1 ? new WorkerPool(threads) : null;
        // A batch never holds more rows than the data: a streamed view without a row count is counted first when the
        // batch size is large enough for that to matter, so a huge BatchSize allocates no more than the data needs.
        int batchSize = _options.BatchSize;
        if (sharded)
        {
            // Each rank's share of a global batch of BatchSize rows, taken from its own shard.
            int rank = communicator!.Rank, size = communicator.Size;
            batchSize = Math.Max(1, (int)((long)batchSize * (rank + 1) / size - (long)batchSize * rank / size));
        }
        if (stream && batchSize > 1 << 16)
            batchSize = (int)Math.Max(1, Math.Min(batchSize, trainData.GetRowCount() ?? CountRows(trainData)));
        bool sparseStream = stream && StreamSparse(trainData, features);
        var problem = new TrainingProblem(layout, _options.Activation, _options.L2Regularization, random)
        {
            Train = train,
            Validation = validation,
            Batches = stream
                ? () => new StreamingBatches(trainData, label, features, weight, batchSize, _options.ShuffleBufferSize, sparseStream, scaling, classWeights, targetScaling)
                : () => new InMemoryBatches(train!, batchSize),
            Shuffle = _options.Shuffle,
            GradientClipNorm = _options.GradientClipNorm,
            GradientClipValue = _options.GradientClipValue,
            DropoutRate = _options.DropoutRate,
            Pool = pool,
            Scaling = scaling,
            Head = Head,
            TargetScaling = targetScaling,
            EarlyStopping = _options.EarlyStopping,
            Progress = _options.Progress,
            Cancellation = _options.CancellationToken,
            HostCancelled = hostCancelled,
            WeightColumnName = _options.ExampleWeightColumnName,
            Communicator = communicator,
            Sharded = sharded,
        };

        channel.Info(MessageSensitivity.None,
            $"Training a {string.Join("-", sizes)} MLP ({layout.ParameterCount} parameters) on {(train is null ? $"rows streamed through a {_options.ShuffleBufferSize}-row shuffle buffer" : $"{train.RowCount} rows ({(train.IsSparse ? "sparse" : "dense")})")}"
            + $"{(scaling is null ? string.Empty : ", features standardized")} with {string.Join(" then ", phases.Select(p => p.Optimizer.GetType().Name))}, seed {seed}, {threads} thread(s), {GemmKernel.InstructionSet} kernels.");
        var checkpoints = _options.CheckpointPath is null ? null
            : new CheckpointSettings(_options.CheckpointPath, _options.CheckpointPeriod, classNames, features.Name);
        var run = new TrainingRun(problem, parameters, phases.Count, channel, checkpoints);
        if (checkpoint is not null && checkpoint.Record.Ranks != (communicator?.Size ?? 1))
            throw new ArgumentException(
                $"The checkpoint was written by a run of {checkpoint.Record.Ranks} rank(s); this run has {communicator?.Size ?? 1}. Resume with the same number of ranks.");
        PhaseRunner.Run(run, phases, checkpoint);

        var trained = scaling is null ? parameters : InputScaling.Fold(layout, parameters, scaling);
        if (targetScaling is not null)
            trained = OutputScaling.Fold(layout, trained, targetScaling);
        var model = new AdamMlpModelParameters(layout, _options.Activation, trained, classNames, run.History, Task);
        return new AdamMlpTransformer(_mlContext, model, features.Name, features.Type, label.Column.Annotations);
    }

    // Every rank must shuffle and initialize alike: rank 0's seed for all (a sum in which only rank 0 counts is exact).
    private static int CommonSeed(Distributed.Communicator communicator, int seed)
    {
        Span<double> value = [communicator.Rank == 0 ? seed : 0];
        communicator.SumInPlace(value);
        return (int)value[0];
    }

    private static long[] SumOverRanks(Distributed.Communicator communicator, long[] counts)
    {
        var values = counts.Select(c => (double)c).ToArray();
        communicator.SumInPlace(values);
        return values.Select(v => (long)v).ToArray();
    }

    private static double[] SumOverRanks(Distributed.Communicator communicator, double[] values)
    {
        communicator.SumInPlace(values);
        return values;
    }

    private static long CountRows(IDataView data)
    {
        long rows = 0;
        using var cursor = data.GetRowCursor([]);
        while (cursor.MoveNext())
            rows++;
        return rows;
    }

    // The layout of these sizes, refused up front when the network cannot fit: in one array (ParameterLayout's own
    // check) or in memory, counting the weights, the gradient and up to three optimizer buffers, 4 bytes each.
    private ParameterLayout CheckedLayout(List<int> sizes)
    {
        ParameterLayout layout;
        try
        {
            layout = new ParameterLayout(sizes);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentOutOfRangeException(nameof(AdamMlpOptionsBase.HiddenLayerSizes), $"{OptionsName}.HiddenLayerSizes: {e.Message}");
        }
        double bytes = 5.0 * 4 * layout.ParameterCount;
        double available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (bytes > available)
            throw new ArgumentOutOfRangeException(nameof(AdamMlpOptionsBase.HiddenLayerSizes),
                $"{OptionsName}.HiddenLayerSizes [{string.Join(", ", _options.HiddenLayerSizes)}] give {layout.ParameterCount:N0} parameters, about {bytes / (1 << 30):F1} GiB "
                + $"with the gradient and the optimizer's state, more than the {available / (1 << 30):F1} GiB available; use smaller hidden layers.");
        return layout;
    }

    private static long[] CountClasses(TrainingData data)
    {
        var counts = new long[data.ClassCount];
        foreach (int c in data.Labels)
            counts[c]++;
        return counts;
    }

    private static float[] WeighByClass(TrainingData data, float[] classWeights)
    {
        var weights = new float[data.RowCount];
        for (int r = 0; r < weights.Length; r++)
            weights[r] = (data.Weights?[r] ?? 1f) * classWeights[data.Labels[r]];
        return weights;
    }

    /// <summary>
    /// The output shape: the input columns plus the columns ML.NET's own trainers of the same task add (multiclass:
    /// <c>Score</c> vector and <c>PredictedLabel</c> key; binary: <c>Score</c>, <c>Probability</c>, Boolean
    /// <c>PredictedLabel</c>; regression: <c>Score</c>). Checks the label, feature and weight columns first.
    /// </summary>
    /// <param name="inputSchema">Shape of the training data.</param>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        string labelName = _options.LabelColumnName, featureName = _options.FeatureColumnName;
        string? weightName = _options.ExampleWeightColumnName;
        ColumnChecks.Label(ColumnChecks.Find(inputSchema, labelName), labelName, LabelKind, TrainerName);
        ColumnChecks.Features(ColumnChecks.Find(inputSchema, featureName), featureName);
        if (weightName is not null)
            ColumnChecks.Weight(ColumnChecks.Find(inputSchema, weightName), weightName);

        // SchemaShape.Column cannot be built outside ML.NET; a built-in trainer of the same task describes the same
        // output columns with their annotations.
        return ReferenceTrainer(_mlContext, labelName, featureName, weightName).GetOutputSchema(inputSchema);
    }

    // Streaming keeps memory bounded; Auto streams only when the data, as float32, would take over half the available
    // memory. The decision looks at every phase first: a full-batch phase needs every row in memory, so data that Auto
    // would stream is refused before any phase runs (Validate refuses an explicit Streaming with a full-batch phase).
    private bool ShouldStream(IDataView data, int featureCount, IReadOnlyList<TrainingPhase> phases, IChannel channel)
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
        int fullBatch = phases.ToList().FindIndex(p => p.Optimizer is BatchOptimizer);
        if (fullBatch >= 0)
            throw new InvalidOperationException(
                $"The training data ({bytes / (1 << 30):F1} GiB as float32) exceeds half the available memory ({available / (1 << 30):F1} GiB), so DataMode.Auto would stream it, "
                + $"but phase {fullBatch + 1}'s {phases[fullBatch].Optimizer.GetType().Name} needs every row in memory. Drop the full-batch phase, or set DataMode = InMemory to load it anyway.");
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
        if (start.Task != Task)
            throw new ArgumentException($"The {what} is a {start.Task} model; {TrainerName} trains {Task} models.");
        if (!start.LayerSizes.SequenceEqual(layout.Sizes))
            throw new ArgumentException(
                $"The {what} has layer sizes [{string.Join(", ", start.LayerSizes)}] but the options and data give [{string.Join(", ", layout.Sizes)}] (features, hidden layers, classes).");
        if (start.Activation != _options.Activation)
            throw new ArgumentException($"The {what} uses activation {start.Activation} but Options.Activation is {_options.Activation}.");
        if (!start.ClassNames.SequenceEqual(classNames))
            throw new ArgumentException(
                $"The {what} was trained on classes [{string.Join(", ", start.ClassNames)}] but the label's key values are [{string.Join(", ", classNames)}]; map the labels to keys the same way (same values, same order).");
    }

    private TrainingData LoadRows(IDataView data, TrainingLabel label, DataViewSchema.Column features, DataViewSchema.Column? weight, IChannel channel, string what)
    {
        var rows = TrainingDataLoader.Load(data, label, features, weight, _options.Storage, out long skipped);
        if (skipped > 0)
            channel.Warning(MessageSensitivity.None, $"Skipped {skipped} {what} rows with a missing label, a NaN or infinite feature, or a negative, NaN or infinite weight.");
        if (rows.RowCount == 0)
            throw new InvalidOperationException(
                skipped > 0
                    ? $"No usable {what} rows: all {skipped} rows have a missing label (key 0 or a NaN target in '{label.Column.Name}'), a NaN or infinite value in '{features.Name}', or an invalid weight."
                    : $"The {what} data is empty: it has no rows.");
        return rows;
    }

    private void ValidateOptions(AdamMlpOptionsBase options)
    {
        RequireOption(options.LabelColumnName is { Length: > 0 }, nameof(AdamMlpOptionsBase.LabelColumnName), "name a column", options.LabelColumnName);
        RequireOption(options.FeatureColumnName is { Length: > 0 }, nameof(AdamMlpOptionsBase.FeatureColumnName), "name a column", options.FeatureColumnName);
        RequireOption(options.HiddenLayerSizes is not null, nameof(AdamMlpOptionsBase.HiddenLayerSizes), "not be null (use an empty array for no hidden layer)", null);
        for (int i = 0; i < options.HiddenLayerSizes!.Length; i++)
            RequireOption(options.HiddenLayerSizes[i] > 0, nameof(AdamMlpOptionsBase.HiddenLayerSizes), $"all be > 0, but entry {i} is {options.HiddenLayerSizes[i]}", options.HiddenLayerSizes[i]);
        RequireOption(Enum.IsDefined(options.Activation), nameof(AdamMlpOptionsBase.Activation), "be one of " + string.Join(", ", Enum.GetNames<MlpActivation>()), options.Activation);
        RequireOption(options.BatchSize > 0, nameof(AdamMlpOptionsBase.BatchSize), "be > 0", options.BatchSize);
        RequireOption(options.L2Regularization >= 0 && float.IsFinite(options.L2Regularization), nameof(AdamMlpOptionsBase.L2Regularization), "be a finite number ≥ 0", options.L2Regularization);
        RequireOption(options.GradientClipNorm is null || (options.GradientClipNorm > 0 && float.IsFinite(options.GradientClipNorm.Value)),
            nameof(AdamMlpOptionsBase.GradientClipNorm), "be a finite number > 0 (or null for no clipping)", options.GradientClipNorm);
        RequireOption(options.GradientClipValue is null || (options.GradientClipValue > 0 && float.IsFinite(options.GradientClipValue.Value)),
            nameof(AdamMlpOptionsBase.GradientClipValue), "be a finite number > 0 (or null for no clipping)", options.GradientClipValue);
        RequireOption(options.NumberOfThreads is null or >= 1, nameof(AdamMlpOptionsBase.NumberOfThreads), "be null (all cores) or ≥ 1", options.NumberOfThreads);
        RequireOption(options.CheckpointPeriod > 0, nameof(AdamMlpOptionsBase.CheckpointPeriod), "be > 0", options.CheckpointPeriod);
        RequireOption(options.CheckpointPath is null || options.CheckpointPath.Length > 0, nameof(AdamMlpOptionsBase.CheckpointPath), "be null or a file path", options.CheckpointPath);
        RequireOption(Enum.IsDefined(options.WeightInitialization), nameof(AdamMlpOptionsBase.WeightInitialization), "be Glorot or He", options.WeightInitialization);
        RequireOption(Enum.IsDefined(options.DataMode), nameof(AdamMlpOptionsBase.DataMode), "be Auto, InMemory or Streaming", options.DataMode);
        RequireOption(options.ShuffleBufferSize >= 1, nameof(AdamMlpOptionsBase.ShuffleBufferSize), "be ≥ 1", options.ShuffleBufferSize);
        RequireOption(options.DropoutRate >= 0 && options.DropoutRate < 1, nameof(AdamMlpOptionsBase.DropoutRate), "be in [0, 1)", options.DropoutRate);
        RequireOption(options.ValidationFraction >= 0 && options.ValidationFraction < 1, nameof(AdamMlpOptionsBase.ValidationFraction), "be in [0, 1) (0 for no hold-out)", options.ValidationFraction);
        options.EarlyStopping?.Validate();
        if (options.EarlyStopping is { } stopping)
            RequireOption(Watches(Task, stopping.Metric), nameof(AdamMlpOptionsBase.EarlyStopping),
                $"watch a metric a {Task} model has ({string.Join(", ", Enum.GetValues<EarlyStoppingMetric>().Where(m => Watches(Task, m)))})", stopping.Metric);
        ValidateTaskOptions(options);
        RequireOption(options.Phases is not null, nameof(AdamMlpOptionsBase.Phases), "not be null (leave it empty for a single optimizer)", null);
        if (options.Phases!.Count == 0)
        {
            RequireOption(options.Optimizer is not null, nameof(AdamMlpOptionsBase.Optimizer), "not be null", null);
        }
        foreach (var phase in Phases(options))
        {
            RequireOption(phase is not null, nameof(AdamMlpOptionsBase.Phases), "not contain null", null);
            RequireOption(phase!.Optimizer is not null, nameof(TrainingPhase.Optimizer), "not be null", null);
            phase.Optimizer!.Validate();
            phase.LearningRateSchedule?.Validate();
            if (phase.Optimizer is StochasticOptimizer)
                RequireOption(phase.NumberOfEpochs > 0, nameof(AdamMlpOptionsBase.NumberOfEpochs), "be > 0", phase.NumberOfEpochs);
            else
                RequireOption(options.DataMode != TrainingDataMode.Streaming, nameof(AdamMlpOptionsBase.DataMode),
                    $"not be Streaming with the full-batch {phase.Optimizer.GetType().Name}, which needs every row in memory for its repeated full passes", options.DataMode);
            if (phase.Optimizer is not StochasticOptimizer)
                RequireOption(options.DropoutRate == 0, nameof(AdamMlpOptionsBase.DropoutRate), $"be 0 with the full-batch {phase.Optimizer.GetType().Name}, whose line search needs a deterministic objective", options.DropoutRate);
        }
    }

    // Accuracy needs classes, the AUC a binary logit, R² a numeric target; the losses every model has.
    private static bool Watches(MlpTask task, EarlyStoppingMetric metric) => metric switch
    {
        EarlyStoppingMetric.ValidationAccuracy => task != MlpTask.Regression,
        EarlyStoppingMetric.ValidationAuc => task == MlpTask.BinaryClassification,
        EarlyStoppingMetric.ValidationRSquared => task == MlpTask.Regression,
        _ => true,
    };

    /// <summary>The phases to run: <see cref="AdamMlpOptionsBase.Phases"/>, or the single optimizer of the options.</summary>
    private static IReadOnlyList<TrainingPhase> Phases(AdamMlpOptionsBase options) =>
        options.Phases.Count > 0
            ? options.Phases.ToArray()
            : [new TrainingPhase { Optimizer = options.Optimizer, NumberOfEpochs = options.NumberOfEpochs, LearningRateSchedule = options.LearningRateSchedule }];

    private protected void RequireOption(bool condition, string option, string rule, object? value) =>
        Require.That(condition, OptionsName, option, rule, value);
}
