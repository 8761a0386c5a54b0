using Xunit;

namespace MLNetAdam.Tests.Schedules;

/// <summary>Every schedule against its closed form (PyTorch's formulas), computed here independently.</summary>
public sealed class ScheduleTests
{
    private const int StepsPerEpoch = 7;

    // The rate at a step of a run with StepsPerEpoch steps in every epoch (the driver passes the step's epoch).
    private static double Rate(ClosedFormSchedule s, double baseRate, long step) => s.GetLearningRate(baseRate, step, (int)(step / StepsPerEpoch));

    [Fact]
    public void ConstantIsConstant()
    {
        var s = new ConstantSchedule();
        for (long step = 0; step < 100; step += 13)
            Assert.Equal(0.01, Rate(s, 0.01, step));
    }

    [Fact]
    public void StepDecaysEveryStepEpochs()
    {
        var s = new StepSchedule { StepEpochs = 3, Gamma = 0.5 };
        // StepLR: lr·γ^⌊epoch/3⌋ with epoch = ⌊step/7⌋.
        Assert.Equal(0.1, Rate(s, 0.1, 0), 15);
        Assert.Equal(0.1, Rate(s, 0.1, 3 * StepsPerEpoch - 1), 15);
        Assert.Equal(0.05, Rate(s, 0.1, 3 * StepsPerEpoch), 15);
        Assert.Equal(0.025, Rate(s, 0.1, 6 * StepsPerEpoch + 3), 15);
    }

    [Fact]
    public void ExponentialDecaysEveryEpoch()
    {
        var s = new ExponentialSchedule { Gamma = 0.9 };
        for (int epoch = 0; epoch < 10; epoch++)
            Assert.Equal(0.2 * Math.Pow(0.9, epoch), Rate(s, 0.2, epoch * StepsPerEpoch + 2), 14);
    }

    [Fact]
    public void CosineAnnealsToTheMinimumAndStaysThere()
    {
        var s = new CosineAnnealingSchedule { Epochs = 10, MinimumLearningRate = 0.001 };
        for (int epoch = 0; epoch <= 10; epoch++)
        {
            double expected = 0.001 + (0.1 - 0.001) * (1 + Math.Cos(Math.PI * epoch / 10)) / 2;
            Assert.Equal(expected, Rate(s, 0.1, epoch * StepsPerEpoch), 14);
        }
        Assert.Equal(0.1, Rate(s, 0.1, 0), 14);
        Assert.Equal(0.0505, Rate(s, 0.1, 5 * StepsPerEpoch), 14);
        Assert.Equal(0.001, Rate(s, 0.1, 25 * StepsPerEpoch), 14);
    }

    [Fact]
    public void WarmupRampsLinearlyThenHandsOver()
    {
        var s = new CosineAnnealingSchedule { Epochs = 4, WarmupSteps = 5 };
        for (int step = 0; step < 5; step++)
            Assert.Equal(0.1 * (step + 1) / 5, s.GetLearningRate(0.1, step, epoch: 0), 14);
        Assert.Equal(0.1, s.GetLearningRate(0.1, 5, epoch: 0), 14);
    }

    [Fact]
    public void ReduceOnPlateauFollowsPyTorchsRule()
    {
        var s = new ReduceOnPlateauSchedule { Factor = 0.5, Patience = 2, Threshold = 0.01, Cooldown = 1, MinimumLearningRate = 0.02 };
        var scheduler = s.CreateState(0.1f);
        var rates = new List<float>();
        // improvement, then flat: after more than 2 bad epochs the rate halves; cooldown 1 skips counting one epoch.
        double[] losses = [1.0, 0.9, 0.895, 0.894, 0.893, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9];
        foreach (double loss in losses)
        {
            scheduler.EndEpoch(loss);
            rates.Add(scheduler.LearningRate(0, 0));
        }
        // Epoch 3 (0.895) is not 1% better than 0.9: bad epochs 1,2,3 at 0.895, 0.894, 0.893 -> reduce after the third.
        Assert.Equal(new[] { 0.1f, 0.1f, 0.1f, 0.1f, 0.05f }, rates.Take(5));
        Assert.Equal(0.05f, rates[5]);                 // cooldown
        Assert.Equal(0.025f, rates[8], 6);             // three more bad epochs after the cooldown
        Assert.Equal(0.02f, rates[^1], 6);             // floor
    }

    public static TheoryData<string, LearningRateSchedule> Invalid => new()
    {
        { "StepEpochs", new StepSchedule { StepEpochs = 0 } },
        { "Gamma", new StepSchedule { Gamma = 0 } },
        { "Gamma", new ExponentialSchedule { Gamma = double.NaN } },
        { "Epochs", new CosineAnnealingSchedule { Epochs = 0 } },
        { "MinimumLearningRate", new CosineAnnealingSchedule { MinimumLearningRate = -1 } },
        { "WarmupSteps", new ConstantSchedule { WarmupSteps = -1 } },
        { "Factor", new ReduceOnPlateauSchedule { Factor = 1 } },
        { "Patience", new ReduceOnPlateauSchedule { Patience = -1 } },
        { "Threshold", new ReduceOnPlateauSchedule { Threshold = -0.1 } },
        { "Cooldown", new ReduceOnPlateauSchedule { Cooldown = -2 } },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void InvalidSettingsThrowNamingTheSetting(string setting, LearningRateSchedule schedule)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(schedule.Validate);
        Assert.Equal(setting, e.ParamName);
        Assert.Contains(setting, e.Message);
    }
}
