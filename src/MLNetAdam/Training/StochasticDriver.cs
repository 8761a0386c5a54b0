using System.Diagnostics;
using MLNetAdam.Data;
using MLNetAdam.Numerics;
using MLNetAdam.Optimizers;
using MLNetAdam.Persistence;
using MLNetAdam.Schedules;

namespace MLNetAdam.Training;

/// <summary>Runs one phase of a <see cref="StochasticOptimizer"/>: epochs of seeded mini-batches, one optimizer step per batch.</summary>
internal static class StochasticDriver
{
    /// <summary>
    /// Runs <paramref name="epochs"/> epochs of <paramref name="optimizer"/> on the run's parameters; with
    /// <paramref name="resume"/>, continues from a checkpoint taken inside this phase.
    /// </summary>
    public static void Run(TrainingRun run, int phase, StochasticOptimizer optimizer, int epochs, LearningRateSchedule? schedule, CheckpointRecord? resume)
    {
        var problem = run.Problem;
        var parameters = run.Parameters;
        using IBatchSource batches = problem.Batches();
        var objective = new MlpObjective<float>(problem.Layout, problem.Activation, problem.L2Regularization, batches.BatchSize, problem.DropoutRate, problem.Random, problem.Pool, problem.Head);
        var rates = (schedule ?? new ConstantSchedule()).CreateState(optimizer.LearningRate);
        var gradient = new float[parameters.Length];
        var communicator = problem.Communicator;
        var sums = new double[2];
        var state = optimizer.CreateState(parameters.Length);
        var order = batches.Order;
        string name = optimizer.GetType().Name;
        var monitor = run.NewMonitor();

        long step = 0;
        int done = 0;
        if (resume is not null)
        {
            Restore(resume, optimizer, state, rates, order);
            if (monitor is not null)
                monitor.Load(resume.EarlyStopping, resume.BestParameters);
            else if (resume.EarlyStopping.Length != 0)
                throw new ArgumentException("The checkpoint was written with EarlyStopping, but these options have none; resume with the EarlyStopping setting the checkpoint was written with.");
            step = resume.StepsInPhase;
            done = resume.EpochsInPhase;
        }

        var clock = new Stopwatch();
        var phaseClock = Stopwatch.StartNew();
        long phaseRows = 0;
        int? batchesPerEpoch = batches.StepsPerEpoch > 0 && problem.Train is not null ? batches.StepsPerEpoch : null;
        bool stopped = false;
        for (int e = done + 1; e <= epochs && !stopped; e++)
        {
            int epoch = run.History.Count + 1;
            clock.Restart();
            batches.StartEpoch(problem.Random, problem.Shuffle);
            double lossSum = 0, weightSum = 0, normSum = 0;
            float rate = 0;
            int steps = 0;
            long nextReport = Stopwatch.GetTimestamp() + ReportInterval;
            // Sharded ranks take as many global steps as the largest shard needs; a rank whose shard is done adds nothing.
            int globalSteps = problem.Sharded ? GlobalStepsPerEpoch(batches.StepsPerEpoch, communicator!, sums) : int.MaxValue;
            while (true)
            {
                run.ThrowIfCancelled();
                TrainingData data;
                ReadOnlySpan<int> batchRows;
                if (problem.Sharded)
                {
                    if (steps == globalSteps)
                        break;
                    if (!batches.Next(out data, out batchRows))
                    {
                        data = problem.Train!;
                        batchRows = ReadOnlySpan<int>.Empty;
                    }
                }
                else if (!batches.Next(out data, out batchRows))
                {
                    break;
                }
                double loss, weight;
                if (communicator is null)
                {
                    loss = objective.Evaluate(parameters, gradient, data, batchRows);
                    weight = Math.Max(objective.LastWeight, 0);
                }
                else
                {
                    (loss, weight) = GlobalStep(objective, parameters, gradient, data, batchRows, communicator, sums, takeShare: !problem.Sharded);
                }
                if (!double.IsFinite(loss))
                    throw TrainingRun.Diverged(epoch, steps, loss);
                lossSum += loss * weight;
                weightSum += weight;

                // Clipping acts on the gradient before the step; the history keeps the norm from before clipping.
                double norm = GradientClipping.Norm(gradient);
                normSum += norm;
                if (problem.GradientClipNorm is float maxNorm)
                    GradientClipping.ClipByNorm(gradient, norm, maxNorm);
                if (problem.GradientClipValue is float limit)
                    GradientClipping.ClipByValue(gradient, limit);

                // The schedule is told the true epoch of every step, so it never depends on an estimated steps-per-epoch.
                rate = rates.LearningRate(step++, e - 1);
                optimizer.StepInParallel(problem.Pool, parameters, gradient, state, rate);
                steps++;
                phaseRows += batchRows.Length;
                if (problem.Progress is not null && Stopwatch.GetTimestamp() >= nextReport)
                {
                    nextReport = Stopwatch.GetTimestamp() + ReportInterval;
                    run.Report(Progress(run, phase, epoch, steps, batchesPerEpoch, phaseRows, phaseClock.Elapsed, weightSum > 0 ? lossSum / weightSum : 0, e, done, epochs, isEpochEnd: false));
                }
            }
            if (steps == 0)
                throw new InvalidOperationException("No usable training rows: every row of the streamed data has a missing label, a NaN or infinite feature, or an invalid weight.");
            if (!(weightSum > 0))
                throw new InvalidOperationException(
                    "The training rows' total weight is 0: every usable row has weight 0"
                    + (problem.WeightColumnName is { } column ? $" in example weight column '{column}'" : string.Empty) + ", so there is nothing to learn from.");
            if (batches is StreamingBatches { Skipped: > 0 } streamed && e == done + 1)
                run.Warning($"Skipped {streamed.Skipped} streamed training rows with a missing label, a NaN or infinite feature, or a negative, NaN or infinite weight.");
            run.CheckFinite(epoch, steps);
            run.CheckRanksAgree(epoch);
            batchesPerEpoch = steps;
            double trainingLoss = weightSum > 0 ? lossSum / weightSum : 0;
            var (validationLoss, validationAccuracy) = run.Validate();
            rates.EndEpoch(validationLoss ?? trainingLoss);
            stopped = monitor?.Observe(epoch, trainingLoss, validationLoss, validationAccuracy, parameters, run.ValidationAuc, run.ValidationRSquared) ?? false;
            bool last = stopped || e == epochs;
            if (last)
                monitor?.Restore(parameters);
            clock.Stop();
            run.History.Add(new(epoch, trainingLoss, validationLoss, clock.Elapsed)
            {
                Phase = phase,
                Optimizer = name,
                LearningRate = rate,
                GradientNorm = normSum / steps,
                Evaluations = steps,
                ValidationAccuracy = validationAccuracy,
                ValidationAuc = run.ValidationAuc,
                ValidationRSquared = run.ValidationRSquared,
                StopReason = stopped ? StopReason.EarlyStopping : null,
            });
            run.Log($"Epoch {e}/{epochs} ({name}, phase {phase + 1}, epoch {epoch} overall)", trainingLoss, validationLoss, validationAccuracy, clock.Elapsed, $", lr {rate:G4}, gradient norm {normSum / steps:G4}");
            if (stopped)
                run.Info($"Early stopping: {problem.EarlyStopping!.Metric} has not improved for {problem.EarlyStopping.Patience} epoch(s); {(problem.EarlyStopping.RestoreBestWeights ? $"restored the weights of epoch {monitor!.BestEpoch}" : "keeping the last weights")}.");
            run.Report(Progress(run, phase, epoch, steps, batchesPerEpoch, phaseRows, phaseClock.Elapsed, trainingLoss, e, done, epochs, isEpochEnd: true));
            if (run.Checkpoints is { } checkpoints && (epoch % checkpoints.Period == 0 || last))
                run.WriteCheckpoint(phase, completed: stopped, e, step, state, rates.Name, rates.Save(), order, monitor);
        }
    }

    /// <summary>
    /// One global batch over several ranks: this rank evaluates its contiguous share of the batch's rows, its
    /// gradient and loss are weighted by its share's example weight, everything is summed over the ranks, and the
    /// sums are divided by the batch's total weight. Every rank gets the same gradient (the mean over the whole batch,
    /// L2 term included) and the same loss, equal to one process's within float rounding.
    /// </summary>
    private static (double Loss, double Weight) GlobalStep(
        MlpObjective<float> objective, float[] parameters, float[] gradient, TrainingData data, ReadOnlySpan<int> rows, Distributed.Communicator communicator, double[] sums, bool takeShare)
    {
        // Replicated data: this rank's contiguous share of the global batch; sharded data: the rows are already its own.
        int start = takeShare ? (int)((long)rows.Length * communicator.Rank / communicator.Size) : 0;
        int end = takeShare ? (int)((long)rows.Length * (communicator.Rank + 1) / communicator.Size) : rows.Length;
        double loss = 0, weight = 0;
        if (end > start)
        {
            loss = objective.Evaluate(parameters, gradient, data, rows[start..end]);
            weight = Math.Max(objective.LastWeight, 0);
            System.Numerics.Tensors.TensorPrimitives.Multiply(gradient, (float)weight, gradient);
        }
        else
        {
            Array.Clear(gradient);
        }
        communicator.SumInPlace(gradient);
        sums[0] = loss * weight;
        sums[1] = weight;
        communicator.SumInPlace(sums);
        double total = sums[1];
        if (total > 0)
            System.Numerics.Tensors.TensorPrimitives.Multiply(gradient, (float)(1 / total), gradient);
        return (total > 0 ? sums[0] / total : 0, total);
    }

    private static int GlobalStepsPerEpoch(int localSteps, Distributed.Communicator communicator, double[] sums)
    {
        sums[0] = localSteps;
        sums[1] = 0;
        communicator.MaxInPlace(sums);
        return (int)sums[0];
    }

    /// <summary>Within an epoch, progress is reported at most this often (in <see cref="Stopwatch"/> ticks: half a second).</summary>
    private static readonly long ReportInterval = Stopwatch.Frequency / 2;

    private static TrainingProgress Progress(
        TrainingRun run, int phase, int epoch, int batch, int? batchesPerEpoch, long rows, TimeSpan phaseElapsed, double runningLoss, int epochInPhase, int resumedEpochs, int epochs, bool isEpochEnd)
    {
        double seconds = Math.Max(phaseElapsed.TotalSeconds, 1e-9);
        TimeSpan? remaining = null;
        if (batchesPerEpoch is int perEpoch && perEpoch > 0)
        {
            double doneBatches = (double)(epochInPhase - 1 - resumedEpochs) * perEpoch + batch;
            double leftBatches = (double)epochs * perEpoch - (epochInPhase - 1) * (double)perEpoch - batch;
            if (doneBatches > 0)
                remaining = TimeSpan.FromSeconds(seconds / doneBatches * Math.Max(0, leftBatches));
        }
        return new TrainingProgress(phase, epoch, batch, batchesPerEpoch, rows / seconds, runningLoss, run.Elapsed, remaining, isEpochEnd);
    }

    // Puts the saved optimizer state, schedule state and shuffle order back, refusing anything that does not fit and
    // naming both sides.
    private static void Restore(CheckpointRecord resume, StochasticOptimizer optimizer, OptimizerState state, ScheduleState rates, int[] order)
    {
        string name = optimizer.GetType().Name;
        if (resume.OptimizerState != state.StateName)
            throw new ArgumentException(
                $"The checkpoint holds optimizer state '{resume.OptimizerState}' for phase {resume.Phase + 1}, but this phase's {name} uses state '{state.StateName}'; resume with the optimizer the checkpoint was written with.");
        var buffers = state.Buffers;
        if (buffers.Count != resume.OptimizerBuffers.Length || buffers.Where((b, i) => b.Length != resume.OptimizerBuffers[i].Length).Any())
            throw new ArgumentException($"The checkpoint's {name} state has {resume.OptimizerBuffers.Length} arrays; this optimizer's settings need {buffers.Count} (for example AmsGrad differs).");
        if (resume.Schedule != rates.Name)
            throw new ArgumentException(
                $"The checkpoint was written with a '{resume.Schedule}' learning-rate schedule in phase {resume.Phase + 1}, but these options give a '{rates.Name}' schedule; resume with the schedule the checkpoint was written with.");
        for (int i = 0; i < buffers.Count; i++)
            resume.OptimizerBuffers[i].CopyTo(buffers[i], 0);
        state.StepCount = resume.OptimizerStepCount;
        rates.Load(resume.ScheduleState);
        if (resume.Order.Length != order.Length)
            throw new ArgumentException($"The checkpoint was written for {resume.Order.Length} training rows; this data has {order.Length} usable rows. Resume on the same data.");
        resume.Order.CopyTo(order, 0);
    }
}
