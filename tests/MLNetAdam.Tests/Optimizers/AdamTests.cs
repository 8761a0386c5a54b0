using Xunit;

namespace MLNetAdam.Tests.Optimizers;

/// <summary>
/// One-step tests of <see cref="AdamOptimizer"/>: a state is injected, one step is applied, and every weight and moment
/// is compared with the textbook update written out in double (Kingma &amp; Ba, Alg. 1, with PyTorch's placement of
/// epsilon and weight decay), then the option checks.
/// </summary>
public sealed class AdamTests
{
    // Lengths below, at and above the vector width (8 or 16 floats), so both the vector body and the scalar tail run.
    public static TheoryData<int> Lengths => new() { 1, 7, 8, 15, 16, 17, 33, 257 };

    [Theory]
    [MemberData(nameof(Lengths))]
    public void PlainAdamStepMatchesScalarFormula(int length) =>
        CheckOneStep(new AdamOptimizer { Beta1 = 0.8f, Beta2 = 0.99f, Epsilon = 1e-3f }, length);

    [Theory]
    [MemberData(nameof(Lengths))]
    public void AmsGradWithCoupledWeightDecayStepMatchesScalarFormula(int length) =>
        CheckOneStep(new AdamOptimizer { Beta1 = 0.9f, Beta2 = 0.999f, Epsilon = 1e-3f, WeightDecay = 0.3f, AmsGrad = true }, length);

    [Theory]
    [MemberData(nameof(Lengths))]
    public void AdamWStepMatchesScalarFormula(int length) =>
        CheckOneStep(new AdamOptimizer { Beta1 = 0.85f, Beta2 = 0.995f, Epsilon = 1e-3f, WeightDecay = 0.5f, DecoupledWeightDecay = true }, length);

    [Fact]
    public void AmsGradAndAdamWTogetherStepMatchesScalarFormula() =>
        CheckOneStep(new AdamOptimizer { Epsilon = 1e-3f, WeightDecay = 0.5f, DecoupledWeightDecay = true, AmsGrad = true }, 41);

    [Fact]
    public void FirstStepFromAFreshStateMovesEveryWeightByTheLearningRate()
    {
        // At t = 1 with zero moments: m̂ = g, v̂ = g², so the step is lr · g / (|g| + eps) ≈ lr · sign(g).
        var optimizer = new AdamOptimizer();
        var state = (AdamState)optimizer.CreateState(5);
        float[] w = [1f, -2f, 0.5f, 3f, 0f];
        float[] g = [0.3f, -4f, 1e-2f, -0.7f, 2f];

        optimizer.Step(w, g, state, 0.1f);

        float[] expected = [0.9f, -1.9f, 0.4f, 3.1f, -0.1f];
        for (int i = 0; i < w.Length; i++)
            Assert.Equal(expected[i], w[i], 1e-5f);
        Assert.Equal(1, state.StepCount);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void VectorBodyAndScalarTailGiveTheSameBits(bool amsGrad, bool decoupled)
    {
        // Element-wise update: an element stepped inside a long vector and alone (scalar path) gives the same bits.
        var optimizer = new AdamOptimizer { Epsilon = 1e-3f, WeightDecay = 0.2f, AmsGrad = amsGrad, DecoupledWeightDecay = decoupled };
        const int Length = 67;
        var random = new Random(11);
        Case all = Case.Create(random, Length, amsGrad, stepCount: 6);
        Case copy = all.Copy();
        var allState = all.ToState();
        optimizer.Step(all.W, all.G, allState, 0.03f);

        for (int i = 0; i < Length; i++)
        {
            Case one = copy.Element(i);
            var oneState = one.ToState();
            optimizer.Step(one.W, one.G, oneState, 0.03f);
            Assert.Equal(BitConverter.SingleToInt32Bits(all.W[i]), BitConverter.SingleToInt32Bits(one.W[0]));
            Assert.Equal(BitConverter.SingleToInt32Bits(allState.FirstMoment[i]), BitConverter.SingleToInt32Bits(oneState.FirstMoment[0]));
            Assert.Equal(BitConverter.SingleToInt32Bits(allState.SecondMoment[i]), BitConverter.SingleToInt32Bits(oneState.SecondMoment[0]));
        }
    }

    [Fact]
    public void CreateStateIsZeroAndAllocatesTheMaximumOnlyForAmsGrad()
    {
        var plain = (AdamState)new AdamOptimizer().CreateState(9);
        var ams = (AdamState)new AdamOptimizer { AmsGrad = true }.CreateState(9);

        Assert.Equal(0, plain.StepCount);
        Assert.Equal(new float[9], plain.FirstMoment);
        Assert.Equal(new float[9], plain.SecondMoment);
        Assert.Null(plain.MaxSecondMoment);
        Assert.Equal(new float[9], ams.MaxSecondMoment);
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdamState(-1, amsGrad: false));
    }

    public static TheoryData<string, float> InvalidOptions => new()
    {
        { nameof(AdamOptimizer.LearningRate), 0f },
        { nameof(AdamOptimizer.LearningRate), -1e-3f },
        { nameof(AdamOptimizer.LearningRate), float.NaN },
        { nameof(AdamOptimizer.LearningRate), float.PositiveInfinity },
        { nameof(AdamOptimizer.Beta1), -1e-3f },
        { nameof(AdamOptimizer.Beta1), 1f },
        { nameof(AdamOptimizer.Beta1), 1.5f },
        { nameof(AdamOptimizer.Beta1), float.NaN },
        { nameof(AdamOptimizer.Beta2), -1e-3f },
        { nameof(AdamOptimizer.Beta2), 1f },
        { nameof(AdamOptimizer.Beta2), float.PositiveInfinity },
        { nameof(AdamOptimizer.Beta2), float.NaN },
        { nameof(AdamOptimizer.Epsilon), 0f },
        { nameof(AdamOptimizer.Epsilon), -1e-8f },
        { nameof(AdamOptimizer.Epsilon), float.NaN },
        { nameof(AdamOptimizer.Epsilon), float.PositiveInfinity },
        { nameof(AdamOptimizer.WeightDecay), -1e-6f },
        { nameof(AdamOptimizer.WeightDecay), float.NaN },
        { nameof(AdamOptimizer.WeightDecay), float.PositiveInfinity },
    };

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public void ValidateNamesTheInvalidOption(string option, float value)
    {
        var optimizer = new AdamOptimizer();
        Set(optimizer, option, value);

        var e = Assert.Throws<ArgumentOutOfRangeException>(optimizer.Validate);

        Assert.Equal(option, e.ParamName);
    }

    public static TheoryData<string, float> BoundaryOptions => new()
    {
        { nameof(AdamOptimizer.LearningRate), 1e-30f },
        { nameof(AdamOptimizer.LearningRate), 10f },
        { nameof(AdamOptimizer.Beta1), 0f },
        { nameof(AdamOptimizer.Beta1), 0.99999f },
        { nameof(AdamOptimizer.Beta2), 0f },
        { nameof(AdamOptimizer.Beta2), 0.99999f },
        { nameof(AdamOptimizer.Epsilon), 1e-30f },
        { nameof(AdamOptimizer.WeightDecay), 0f },
        { nameof(AdamOptimizer.WeightDecay), 5f },
    };

    [Theory]
    [MemberData(nameof(BoundaryOptions))]
    public void BoundaryValuesPassValidationAndGiveAFiniteStep(string option, float value)
    {
        // Validate must accept the value, and the optimizer must then take finite, moving steps with it: a boundary that
        // validates but divides by zero or overflows (e.g. β = 0 or a tiny ε) would fail here.
        var optimizer = new AdamOptimizer();
        Set(optimizer, option, value);
        optimizer.Validate();
        float[] w = [0.5f, -1.5f, 2f, 0f, 3e-3f];
        float[] g = [0.1f, -0.2f, 0f, 1e-4f, -3f];
        var state = optimizer.CreateState(w.Length);
        float[] before = (float[])w.Clone();
        for (int step = 0; step < 3; step++)
            optimizer.Step(w, g, state, optimizer.LearningRate);
        Assert.All(w, v => Assert.True(float.IsFinite(v), $"{option} = {value}: weight {v}"));
        Assert.NotEqual(0f, ((AdamState)state).FirstMoment[4]);
        if (option != nameof(AdamOptimizer.LearningRate) || value >= 1e-6f)
            Assert.NotEqual(before[4], w[4]); // a 1e-30 step is below the weight's float resolution
        Assert.Equal(3, state.StepCount);
    }

    [Fact]
    public void DefaultsArePyTorchsAndValid()
    {
        var optimizer = new AdamOptimizer();
        optimizer.Validate();
        Assert.Equal(1e-3f, optimizer.LearningRate);
        Assert.Equal(0.9f, optimizer.Beta1);
        Assert.Equal(0.999f, optimizer.Beta2);
        Assert.Equal(1e-8f, optimizer.Epsilon);
        Assert.Equal(0f, optimizer.WeightDecay);
        Assert.False(optimizer.DecoupledWeightDecay);
        Assert.False(optimizer.AmsGrad);
    }

    [Fact]
    public void StepRejectsAGradientOfTheWrongLength()
    {
        var optimizer = new AdamOptimizer();
        OptimizerState state = optimizer.CreateState(8);
        var w = new float[8];

        var e = Assert.Throws<ArgumentException>(() => optimizer.Step(w, new float[7], state, 0.1f));

        Assert.Equal("gradient", e.ParamName);
        Assert.Equal(0, state.StepCount);
    }

    [Fact]
    public void StepRejectsAStateOfAnotherOptimizer()
    {
        var optimizer = new AdamOptimizer();
        var w = new float[4];

        var e = Assert.Throws<ArgumentException>(() => optimizer.Step(w, new float[4], new ForeignState(), 0.1f));

        Assert.Equal("state", e.ParamName);
        Assert.Throws<ArgumentNullException>(() => optimizer.Step(w, new float[4], null!, 0.1f));
    }

    [Fact]
    public void StepRejectsAStateOfTheWrongSizeOrWithoutTheAmsGradMaximum()
    {
        float[] w = [1f, 2f, 3f, 4f];
        float[] g = [1f, 1f, 1f, 1f];
        var plain = new AdamOptimizer();
        var ams = new AdamOptimizer { AmsGrad = true };
        OptimizerState small = plain.CreateState(3);
        OptimizerState withoutMaximum = plain.CreateState(4);

        Assert.Equal("state", Assert.Throws<ArgumentException>(() => plain.Step(w, g, small, 0.1f)).ParamName);
        Assert.Equal("state", Assert.Throws<ArgumentException>(() => ams.Step(w, g, withoutMaximum, 0.1f)).ParamName);
        Assert.Equal([1f, 2f, 3f, 4f], w);
        Assert.Equal(0, withoutMaximum.StepCount);
    }

    private sealed class ForeignState : OptimizerState
    {
        public override string StateName => "tests.foreign";
    }

    /// <summary>Steps <paramref name="optimizer"/> once from an injected mid-run state and checks it element by element.</summary>
    private static void CheckOneStep(AdamOptimizer optimizer, int length)
    {
        optimizer.Validate();
        // The step uses its learningRate argument, not the LearningRate option.
        const float LearningRate = 0.05f;
        const long StepCount = 4;
        var random = new Random(1000 + length);
        Case before = Case.Create(random, length, optimizer.AmsGrad, StepCount);
        Case after = before.Copy();
        AdamState state = after.ToState();

        optimizer.Step(after.W, after.G, state, LearningRate);

        Assert.Equal(StepCount + 1, state.StepCount);
        Assert.Equal(before.G, after.G); // the gradient is read-only
        for (int i = 0; i < length; i++)
        {
            var (w, m, v, vMax) = Reference(
                before.W[i], before.G[i], before.M[i], before.V[i], optimizer.AmsGrad ? before.VMax![i] : 0, StepCount,
                LearningRate, optimizer.Beta1, optimizer.Beta2, optimizer.Epsilon, optimizer.WeightDecay,
                optimizer.DecoupledWeightDecay, optimizer.AmsGrad);
            // m can cancel to near 0: its error is relative to the size of its two terms (≈ 0.1).
            AssertClose(m, state.FirstMoment[i], 1e-6 * Math.Max(Math.Abs(m), 0.05), $"m[{i}]");
            AssertClose(v, state.SecondMoment[i], 1e-6 * v, $"v[{i}]");
            if (optimizer.AmsGrad)
                AssertClose(vMax, state.MaxSecondMoment![i], 1e-6 * vMax, $"vMax[{i}]");
            // The update is lr-sized; float rounding of w (|w| ≤ 2) and of the step stays below 1e-6.
            AssertClose(w, after.W[i], 1e-6 * Math.Max(1, Math.Abs(w)), $"w[{i}] (before {before.W[i]:R})");
        }
    }

    /// <summary>
    /// Adam for one scalar, in double, written as the paper states it: bias-corrected m̂ and v̂, then
    /// <c>w − lr · m̂ / (√v̂ + ε)</c>. Coupled decay adds <c>λw</c> to g; decoupled (AdamW) multiplies w by
    /// <c>1 − lr·λ</c> first; AMSGrad divides by the running maximum of v.
    /// </summary>
    private static (double W, double M, double V, double VMax) Reference(
        double w, double g, double m, double v, double vMax, long stepCount,
        double lr, double beta1, double beta2, double epsilon, double weightDecay, bool decoupled, bool amsGrad)
    {
        long t = stepCount + 1;
        if (decoupled)
            w *= 1 - lr * weightDecay;
        else
            g += weightDecay * w;
        m = beta1 * m + (1 - beta1) * g;
        v = beta2 * v + (1 - beta2) * g * g;
        double denominatorMoment = v;
        if (amsGrad)
        {
            vMax = Math.Max(vMax, v);
            denominatorMoment = vMax;
        }
        double mHat = m / (1 - Math.Pow(beta1, t));
        double vHat = denominatorMoment / (1 - Math.Pow(beta2, t));
        w -= lr * mHat / (Math.Sqrt(vHat) + epsilon);
        return (w, m, v, vMax);
    }

    private static void AssertClose(double expected, float actual, double tolerance, string what) =>
        Assert.True(Math.Abs(actual - expected) <= tolerance, $"{what} = {actual:R}, formula {expected:R}");

    private static void Set(AdamOptimizer optimizer, string option, float value)
    {
        switch (option)
        {
            case nameof(AdamOptimizer.LearningRate): optimizer.LearningRate = value; break;
            case nameof(AdamOptimizer.Beta1): optimizer.Beta1 = value; break;
            case nameof(AdamOptimizer.Beta2): optimizer.Beta2 = value; break;
            case nameof(AdamOptimizer.Epsilon): optimizer.Epsilon = value; break;
            case nameof(AdamOptimizer.WeightDecay): optimizer.WeightDecay = value; break;
            default: throw new ArgumentOutOfRangeException(nameof(option), option, null);
        }
    }

    private static float Get(AdamOptimizer optimizer, string option) => option switch
    {
        nameof(AdamOptimizer.LearningRate) => optimizer.LearningRate,
        nameof(AdamOptimizer.Beta1) => optimizer.Beta1,
        nameof(AdamOptimizer.Beta2) => optimizer.Beta2,
        nameof(AdamOptimizer.Epsilon) => optimizer.Epsilon,
        nameof(AdamOptimizer.WeightDecay) => optimizer.WeightDecay,
        _ => throw new ArgumentOutOfRangeException(nameof(option), option, null),
    };

    /// <summary>Weights, gradient and a mid-run state (moments of a plausible earlier history).</summary>
    private sealed record Case(float[] W, float[] G, float[] M, float[] V, float[]? VMax, long StepCount)
    {
        public static Case Create(Random random, int length, bool amsGrad, long stepCount)
        {
            var w = new float[length];
            var g = new float[length];
            var m = new float[length];
            var v = new float[length];
            float[]? vMax = amsGrad ? new float[length] : null;
            for (int i = 0; i < length; i++)
            {
                w[i] = (float)(4 * random.NextDouble() - 2);
                g[i] = (float)(2 * random.NextDouble() - 1);
                m[i] = (float)(0.2 * random.NextDouble() - 0.1);
                // v from 1e-6 to 1e-2, so that ε = 1e-3 matters in the denominator.
                v[i] = (float)Math.Pow(10, -6 + 4 * random.NextDouble());
                if (vMax is not null)
                {
                    // Half the maxima stay above the new v (the maximum is kept), half fall below (it is replaced).
                    vMax[i] = i % 2 == 0 ? 10 * v[i] + 0.1f : v[i];
                }
            }
            return new Case(w, g, m, v, vMax, stepCount);
        }

        public Case Copy() => new((float[])W.Clone(), (float[])G.Clone(), (float[])M.Clone(), (float[])V.Clone(), (float[]?)VMax?.Clone(), StepCount);

        public Case Element(int i) => new([W[i]], [G[i]], [M[i]], [V[i]], VMax is null ? null : [VMax[i]], StepCount);

        /// <summary>An <see cref="AdamState"/> holding copies of these moments.</summary>
        public AdamState ToState()
        {
            var state = new AdamState(W.Length, VMax is not null) { StepCount = StepCount };
            M.CopyTo(state.FirstMoment, 0);
            V.CopyTo(state.SecondMoment, 0);
            VMax?.CopyTo(state.MaxSecondMoment!, 0);
            return state;
        }
    }
}
