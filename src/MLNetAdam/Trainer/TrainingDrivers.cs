using System.Diagnostics;
using Microsoft.ML.Runtime;
using MLNetAdam.Data;
using MLNetAdam.Model;
using MLNetAdam.Numerics;
using MLNetAdam.Optimizers;
using MLNetAdam.Schedules;

namespace MLNetAdam.Trainer;

/// <summary>
/// The training loops over one parameter vector: mini-batch epochs for a <see cref="StochasticOptimizer"/>, one
/// full-batch minimization for a <see cref="BatchOptimizer"/>. Phases run one after another on the same vector and
/// append to the same history.
/// </summary>
internal sealed class TrainingDrivers
{
    private readonly TrainingProblem _problem;
    private readonly float[] _parameters;
    private readonly IChannel _channel;
    private readonly FullBatchEvaluator? _validation;
    private readonly CheckpointSettings? _checkpoints;

    public TrainingDrivers(TrainingProblem problem, float[] parameters, IChannel channel, CheckpointSettings? checkpoints)
    {
        _problem = problem;
        _parameters = parameters;
        _channel = channel;
        _checkpoints = checkpoints;
        _validation = problem.Validation is null ? null : new FullBatchEvaluator(problem with { L2Regularization = 0 }, problem.Validation, withGradient: false);
    }

    /// <summary>All epochs so far, over all phases.</summary>
    public List<TrainingEpoch> History { get; } = new();

    /// <summary>
    /// Runs the phases in order. With <paramref name="resume"/>, the history, random stream and counters continue from
    /// the checkpoint: phases it had finished are skipped, and the phase it was in continues from its saved state.
    /// </summary>
    public void Run(IReadOnlyList<TrainingPhase> phases, CheckpointData? resume)
    {
        int first = 0;
        if (resume is not null)
        {
            History.AddRange(resume.History);
            _problem.Random.State = resume.RandomState;
            first = resume.Phase;
        }
        for (int p = first; p < phases.Count; p++)
        {
            var phase = phases[p];
            var state = resume is not null && p == resume.Phase && !resume.PhaseCompleted ? resume : null;
            switch (phase.Optimizer)
            {
                case StochasticOptimizer s:
                    RunStochastic(p, s, phase.NumberOfEpochs, phase.LearningRateSchedule, state);
                    break;
                case BatchOptimizer b:
                    RunBatch(p, b);
                    break;
                default:
                    throw new ArgumentException($"The optimizer must derive from StochasticOptimizer or BatchOptimizer; got {phase.Optimizer.GetType().Name}.", nameof(phases));
            }
        }
    }

    /// <summary>Runs <paramref name="epochs"/> passes of seeded mini-batches, one optimizer step per batch.</summary>
    private void RunStochastic(int phase, StochasticOptimizer optimizer, int epochs, LearningRateSchedule? schedule, CheckpointData? resume)
    {
        using IBatchSource batches = _problem.Stream is not null
            ? _problem.Stream(_problem.BatchSize)
            : new InMemoryBatches(_problem.Train!, _problem.BatchSize);
        int stepsPerEpoch = batches.StepsPerEpoch;
        var objective = new MlpObjective<float>(_problem.Layout, _problem.Activation, _problem.L2Regularization, batches.BatchSize, _problem.DropoutRate, _problem.Random, _problem.Pool);
        var scheduler = (schedule ?? new ConstantSchedule()).CreateScheduler(optimizer.LearningRate, stepsPerEpoch);
        var gradient = new float[_parameters.Length];
        var state = optimizer.CreateState(_parameters.Length);
        var order = batches.Order;

        long step = 0;
        int done = 0;
        if (resume is not null)
        {
            Restore(resume, optimizer, state, scheduler, order);
            step = resume.StepsInPhase;
            done = resume.EpochsInPhase;
        }

        var clock = new Stopwatch();
        for (int e = done + 1; e <= epochs; e++)
        {
            int epoch = History.Count + 1;
            clock.Restart();
            batches.StartEpoch(_problem.Random, _problem.Shuffle);
            double lossSum = 0, weightSum = 0, normSum = 0;
            float rate = 0;
            int steps = 0;
            while (batches.Next(out var data, out var batchRows))
            {
                double loss = objective.Evaluate(_parameters, gradient, data, batchRows);
                if (!double.IsFinite(loss))
                    throw Diverged(epoch, steps, loss);
                double weight = Math.Max(objective.LastWeight, 0);
                lossSum += loss * weight;
                weightSum += weight;

                // Clipping acts on the gradient before the step; the history keeps the norm from before clipping.
                double norm = GradientClipping.Norm(gradient);
                normSum += norm;
                if (_problem.GradientClipNorm is float maxNorm)
                    GradientClipping.ClipByNorm(gradient, norm, maxNorm);
                if (_problem.GradientClipValue is float limit)
                    GradientClipping.ClipByValue(gradient, limit);

                rate = scheduler.LearningRate(step++);
                optimizer.StepOn(_problem.Pool, _parameters, gradient, state, rate);
                steps++;
            }
            if (steps == 0)
                throw new InvalidOperationException("No usable training rows: every row of the streamed data has a missing label, a NaN or infinite feature, or an invalid weight.");
            if (batches is StreamingBatches { Skipped: > 0 } streamed && e == done + 1)
                _channel.Warning(MessageSensitivity.None, $"Skipped {streamed.Skipped} streamed training rows with a missing label, a NaN or infinite feature, or a negative, NaN or infinite weight.");
            double trainingLoss = weightSum > 0 ? lossSum / weightSum : 0;
            double? validationLoss = _validation?.Evaluate(_parameters, Span<float>.Empty);
            scheduler.EndEpoch(validationLoss ?? trainingLoss);
            clock.Stop();
            History.Add(new TrainingEpoch(epoch, trainingLoss, validationLoss, clock.Elapsed)
            {
                Phase = phase,
                Optimizer = optimizer.GetType().Name,
                LearningRate = rate,
                GradientNorm = normSum / steps,
                Evaluations = steps,
            });
            Log($"Epoch {e}/{epochs} ({optimizer.GetType().Name}, phase {phase + 1}, epoch {epoch} overall)", trainingLoss, validationLoss, clock.Elapsed, $", lr {rate:G4}, gradient norm {normSum / steps:G4}");
            if (_checkpoints is not null && (epoch % _checkpoints.Period == 0 || e == epochs))
                WriteCheckpoint(phase, completed: false, e, step, state, scheduler.SaveState(), order);
        }
    }

    // Puts the saved optimizer state, scheduler state and shuffle order back, refusing anything that does not fit.
    private void Restore(CheckpointData resume, StochasticOptimizer optimizer, OptimizerState state, LearningRateScheduler scheduler, int[] order)
    {
        if (resume.OptimizerStateType != state.GetType().FullName)
            throw new ArgumentException(
                $"The checkpoint holds a {resume.OptimizerStateType} but phase {resume.Phase + 1}'s {optimizer.GetType().Name} uses a {state.GetType().FullName}; resume with the optimizer the checkpoint was written with.");
        var buffers = state.Buffers;
        if (buffers.Count != resume.OptimizerBuffers.Length || buffers.Where((b, i) => b.Length != resume.OptimizerBuffers[i].Length).Any())
            throw new ArgumentException($"The checkpoint's {optimizer.GetType().Name} state has {resume.OptimizerBuffers.Length} arrays; this optimizer's settings need {buffers.Count} (for example AmsGrad differs).");
        for (int i = 0; i < buffers.Count; i++)
            resume.OptimizerBuffers[i].CopyTo(buffers[i], 0);
        state.StepCount = resume.OptimizerStepCount;
        scheduler.LoadState(resume.SchedulerState);
        if (resume.Order.Length != order.Length)
            throw new ArgumentException($"The checkpoint was written for {resume.Order.Length} training rows; this data has {order.Length} usable rows. Resume on the same data.");
        resume.Order.CopyTo(order, 0);
    }

    private void WriteCheckpoint(int phase, bool completed, int epochsInPhase, long stepsInPhase, OptimizerState? state, double[] schedulerState, int[] order)
    {
        var settings = _checkpoints!;
        var data = new CheckpointData
        {
            LayerSizes = _problem.Layout.Sizes,
            Activation = _problem.Activation,
            ClassNames = settings.ClassNames,
            FeatureColumnName = settings.FeatureColumnName,
            Phase = completed ? phase + 1 : phase,
            PhaseCompleted = completed,
            EpochsInPhase = epochsInPhase,
            StepsInPhase = stepsInPhase,
            Parameters = _parameters,
            OptimizerStateType = state?.GetType().FullName ?? string.Empty,
            OptimizerStepCount = state?.StepCount ?? 0,
            OptimizerBuffers = state?.Buffers.ToArray() ?? [],
            SchedulerState = schedulerState,
            RandomState = _problem.Random.State,
            Order = order,
            History = History,
        };
        CheckpointFormat.WriteAtomically(data, settings.Path);
        _channel.Info(MessageSensitivity.None, $"Checkpoint written to {settings.Path} after epoch {History.Count}.");
    }

    /// <summary>Hands the full-batch objective to <paramref name="optimizer"/> and records one history entry per iteration.</summary>
    private void RunBatch(int phase, BatchOptimizer optimizer)
    {
        var evaluator = new FullBatchEvaluator(_problem, _problem.Train ?? throw new InvalidOperationException("A batch optimizer needs the training rows in memory."), withGradient: true);
        var clock = Stopwatch.StartNew();
        int evaluationsBefore = 0;
        int iteration = 0;
        var progress = new SynchronousProgress<double>(loss =>
        {
            iteration++;
            double? validationLoss = _validation?.Evaluate(_parameters, Span<float>.Empty);
            var entry = new TrainingEpoch(History.Count + 1, loss, validationLoss, clock.Elapsed)
            {
                Phase = phase,
                Optimizer = optimizer.GetType().Name,
                Evaluations = evaluator.Evaluations - evaluationsBefore,
            };
            evaluationsBefore = evaluator.Evaluations;
            History.Add(entry);
            Log($"Iteration {iteration} of {optimizer.GetType().Name} (epoch {entry.Epoch})", loss, validationLoss, clock.Elapsed, $", {entry.Evaluations} evaluations");
            clock.Restart();
        });
        LossAndGradient objective = (p, g) => evaluator.Evaluate(p, g);
        var result = optimizer.Minimize(_parameters, objective, progress, CancellationToken.None);
        _channel.Info(MessageSensitivity.None, $"{optimizer.GetType().Name} stopped: {result.Reason} after {result.Iterations} iterations and {result.Evaluations} evaluations; loss {result.Loss:G6}.");
        // The stop reason goes on the phase's last entry (an entry of its own when it stopped before any iteration).
        if (iteration > 0)
            History[^1] = History[^1] with { StopReason = result.Reason };
        else
            History.Add(new TrainingEpoch(History.Count + 1, result.Loss, _validation?.Evaluate(_parameters, Span<float>.Empty), clock.Elapsed)
            {
                Phase = phase,
                Optimizer = optimizer.GetType().Name,
                Evaluations = evaluator.Evaluations,
                StopReason = result.Reason,
            });
        if (!double.IsFinite(result.Loss))
            throw Diverged(History.Count, 0, result.Loss);
        if (_checkpoints is not null)
            WriteCheckpoint(phase, completed: true, 0, 0, null, [], []);
    }

    private static InvalidOperationException Diverged(int epoch, int batch, double loss) =>
        new($"Training diverged: the loss became {loss} in epoch {epoch}, batch {batch}. Lower the optimizer's LearningRate, add L2Regularization or gradient clipping, or check the features' scale.");

    private void Log(string what, double trainingLoss, double? validationLoss, TimeSpan elapsed, string extra)
    {
        string validation = validationLoss is double v ? $", validation loss {v:F6}" : string.Empty;
        _channel.Info(MessageSensitivity.None, $"{what}: training loss {trainingLoss:F6}{validation}{extra}, {elapsed.TotalSeconds:F2} s");
    }

    /// <summary>Where and how often to write checkpoints, and what identifies the model in them.</summary>
    internal sealed record CheckpointSettings(string Path, int Period, string[] ClassNames, string FeatureColumnName);

    /// <summary>Calls the handler on the reporting thread (unlike <see cref="Progress{T}"/>, which posts).</summary>
    private sealed class SynchronousProgress<T>(Action<T> handler) : IProgress<T>
    {
        public void Report(T value) => handler(value);
    }
}
