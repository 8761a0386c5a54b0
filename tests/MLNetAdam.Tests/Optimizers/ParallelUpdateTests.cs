using Xunit;

namespace MLNetAdam.Tests.Optimizers;

public sealed class ParallelUpdateTests
{
    [Theory]
    [InlineData(2, false, false)]
    [InlineData(3, true, false)]
    [InlineData(2, false, true)]
    public void AdamsUpdateSplitBetweenThreadsGivesTheSameBits(int threads, bool amsGrad, bool decoupled)
    {
        const int n = 100_003; // above the parallel threshold, not a multiple of any vector width
        var random = new Random(threads);
        float[] Make() => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        float[] w = Make(), g1 = Make(), g2 = Make();
        var optimizer = new AdamOptimizer { LearningRate = 0.01f, AmsGrad = amsGrad, WeightDecay = 0.1f, DecoupledWeightDecay = decoupled };

        var serialW = (float[])w.Clone();
        var serialState = (AdamState)optimizer.CreateState(n);
        optimizer.Step(serialW, g1, serialState, 0.01f);
        optimizer.Step(serialW, g2, serialState, 0.005f);

        using var pool = new WorkerPool(threads);
        var parallelW = (float[])w.Clone();
        var parallelState = (AdamState)optimizer.CreateState(n);
        optimizer.StepInParallel(pool, parallelW, g1, parallelState, 0.01f);
        optimizer.StepInParallel(pool, parallelW, g2, parallelState, 0.005f);

        Assert.Equal(serialW, parallelW);
        Assert.Equal(serialState.FirstMoment, parallelState.FirstMoment);
        Assert.Equal(serialState.SecondMoment, parallelState.SecondMoment);
        Assert.Equal(2, parallelState.StepCount);
        if (amsGrad)
            Assert.Equal(serialState.MaxSecondMoment, parallelState.MaxSecondMoment);
    }
}
