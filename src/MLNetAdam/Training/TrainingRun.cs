using System.Diagnostics;
using Microsoft.ML.Runtime;
using MLNetAdam.Model;
using MLNetAdam.Optimizers;
using MLNetAdam.Persistence;

namespace MLNetAdam.Training;

/// <summary>
/// What the phases of one <c>Fit</c> share: the parameter vector they all update, the history they append to, the
/// validation metrics, cancellation, progress, the log and the checkpoint file.
/// </summary>
internal sealed class TrainingRun
{
    private readonly IChannel _channel;
    private readonly FullBatchEvaluator? _validation;
    private readonly CheckpointSettings? _checkpoints;
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public TrainingRun(TrainingProblem problem, float[] parameters, int phaseCount, IChannel channel, CheckpointSettings? checkpoints)
    {
        Problem = problem;
        Parameters = parameters;
        PhaseCount = phaseCount;
        _channel = channel;
        _checkpoints = checkpoints;
        _validation = problem.Validation is null ? null : new FullBatchEvaluator(problem with { L2Regularization = 0 }, problem.Validation, withGradient: false);
    }

    public TrainingProblem Problem { get; }

    /// <summary>The flat weights and biases every phase updates in place.</summary>
    public float[] Parameters { get; }

    public int PhaseCount { get; }

    /// <summary>All entries so far, over all phases.</summary>
    public List<TrainingHistoryEntry> History { get; } = new();

    /// <summary>Where and how often checkpoints are written, or null.</summary>
    public CheckpointSettings? Checkpoints => _checkpoints;

    /// <summary>Time since training started.</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>The validation loss and accuracy at the current parameters, or nulls without validation data.</summary>
    public (double? Loss, double? Accuracy) Validate()
    {
        if (_validation is null)
            return (null, null);
        double loss = _validation.Evaluate(Parameters, Span<float>.Empty);
        return (loss, Problem.Head.IsClassifier ? _validation.LastAccuracy : null);
    }

    /// <summary>The validation AUC of the last <see cref="Validate"/> (binary models with validation data), or null.</summary>
    public double? ValidationAuc => _validation?.LastAuc;

    /// <summary>The validation R² of the last <see cref="Validate"/> (regression models with validation data), or null.</summary>
    public double? ValidationRSquared => _validation?.LastRSquared;

    /// <summary>Whether the user's token or ML.NET's <c>CancelExecution</c> asks to stop.</summary>
    public bool CancellationRequested => Problem.Cancellation.IsCancellationRequested || (Problem.HostCancelled?.Invoke() ?? false);

    /// <summary>Throws <see cref="OperationCanceledException"/> when cancellation was requested.</summary>
    public void ThrowIfCancelled()
    {
        if (CancellationRequested)
            throw new OperationCanceledException($"Training was cancelled after {History.Count} epoch(s).", Problem.Cancellation.IsCancellationRequested ? Problem.Cancellation : CancellationToken.None);
    }

    /// <summary>A new early-stopping monitor for a phase, or null without early stopping.</summary>
    public EarlyStoppingMonitor? NewMonitor() => Problem.EarlyStopping is { } settings ? new EarlyStoppingMonitor(settings, Parameters.Length) : null;

    public void Report(TrainingProgress progress)
    {
        if (IsLeader)
            Problem.Progress?.Report(progress);
    }

    /// <summary>Whether this process logs, reports and writes files: always alone, rank 0 among several.</summary>
    public bool IsLeader => Problem.Communicator is not { Rank: > 0 };

    /// <summary>
    /// With several ranks: proves after an epoch that every rank holds the same weights (a hash of their bits,
    /// compared through a maximum of the hash and of its negation), and throws naming the epoch when not.
    /// </summary>
    public void CheckRanksAgree(int epoch)
    {
        if (Problem.Communicator is not { } communicator)
            return;
        ulong hash = 14695981039346656037UL;
        foreach (float p in Parameters)
            hash = (hash ^ BitConverter.SingleToUInt32Bits(p)) * 1099511628211UL;
        double h = hash & ((1UL << 52) - 1);
        Span<double> extremes = [h, -h];
        communicator.MaxInPlace(extremes);
        if (extremes[0] != -extremes[1])
            throw new InvalidOperationException($"The ranks' weights differ after epoch {epoch} (rank {communicator.Rank}'s checksum {h}); every rank must see the same data and options.");
    }

    /// <summary>Throws when a weight stopped being a finite number (a step can diverge after the last loss was checked).</summary>
    public void CheckFinite(int epoch, int steps)
    {
        foreach (float p in Parameters)
        {
            if (!float.IsFinite(p))
                throw new InvalidOperationException(
                    $"Training diverged: a weight became {p} in epoch {epoch} (after {steps} step(s) of it). Lower the optimizer's LearningRate, add GradientClipNorm or L2Regularization, or check the features' scale.");
        }
    }

    public void Info(string message)
    {
        if (IsLeader)
            _channel.Info(MessageSensitivity.None, message);
    }

    public void Warning(string message)
    {
        if (IsLeader)
            _channel.Warning(MessageSensitivity.None, message);
    }

    /// <summary>One log line per epoch or iteration.</summary>
    public void Log(string what, double trainingLoss, double? validationLoss, double? validationAccuracy, TimeSpan elapsed, string extra)
    {
        string validation = validationLoss is not double v ? string.Empty
            : Problem.Head.Task == MlpTask.Regression ? $", validation loss {v:F6}, R² {ValidationRSquared:F4}"
            : Problem.Head.Task == MlpTask.BinaryClassification ? $", validation loss {v:F6}, accuracy {validationAccuracy:F4}, AUC {ValidationAuc:F4}"
            : $", validation loss {v:F6}, accuracy {validationAccuracy:F4}";
        Info($"{what}: training loss {trainingLoss:F6}{validation}{extra}, {elapsed.TotalMilliseconds:F0} ms");
    }

    /// <summary>Writes a checkpoint of the run as it stands (atomically; the previous one survives a failure).</summary>
    public void WriteCheckpoint(
        int phase, bool completed, int epochsInPhase, long stepsInPhase, OptimizerState? state, string schedule, double[] scheduleState, int[] order, EarlyStoppingMonitor? monitor)
    {
        if (!IsLeader)
            return;
        var settings = _checkpoints!;
        var record = new CheckpointRecord
        {
            LayerSizes = Problem.Layout.Sizes,
            Activation = (int)Problem.Activation,
            ClassNames = settings.ClassNames,
            FeatureColumnName = settings.FeatureColumnName,
            PhaseCount = PhaseCount,
            Phase = completed ? phase + 1 : phase,
            PhaseCompleted = completed,
            EpochsInPhase = epochsInPhase,
            StepsInPhase = stepsInPhase,
            Parameters = Parameters,
            OptimizerState = state?.StateName ?? string.Empty,
            OptimizerStepCount = state?.StepCount ?? 0,
            OptimizerBuffers = state?.Buffers.ToArray() ?? [],
            Schedule = schedule,
            ScheduleState = scheduleState,
            RandomState = Problem.Random.State,
            Order = order,
            History = TrainingCheckpoint.ToRecords(History),
            ScalingShift = Problem.Scaling?.Shift ?? [],
            ScalingFactor = Problem.Scaling?.Factor ?? [],
            EarlyStopping = completed ? [] : monitor?.Save() ?? [],
            BestParameters = completed ? [] : monitor?.SavedWeights ?? [],
            Ranks = Problem.Communicator?.Size ?? 1,
            Task = (int)Problem.Head.Task,
            TargetScaling = Problem.TargetScaling is { } targets ? [targets.Mean, targets.Scale] : [],
        };
        CheckpointFormat.WriteAtomically(record, settings.Path);
        Info($"Checkpoint written to {settings.Path} after epoch {History.Count}.");
    }

    /// <summary>The error for a loss that stopped being a finite number.</summary>
    public static InvalidOperationException Diverged(int epoch, int batch, double loss) =>
        new($"Training diverged: the loss became {loss} in epoch {epoch}, batch {batch}. Lower the optimizer's LearningRate, add L2Regularization or gradient clipping, or check the features' scale.");
}

/// <summary>Where and how often to write checkpoints, and what identifies the model in them.</summary>
internal sealed record CheckpointSettings(string Path, int Period, string[] ClassNames, string FeatureColumnName);
