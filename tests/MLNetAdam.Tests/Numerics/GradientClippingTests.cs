using Xunit;

namespace MLNetAdam.Tests.Numerics;

public sealed class GradientClippingTests
{
    [Fact]
    public void AGradientOfNorm10ClippedTo1HasNorm1AndTheSameDirection()
    {
        float[] g = [6, 0, -8]; // norm 10
        float[] original = (float[])g.Clone();
        double norm = GradientClipping.Norm(g);
        Assert.Equal(10.0, norm, 12);
        GradientClipping.ClipByNorm(g, norm, 1.0);
        Assert.Equal(1.0, GradientClipping.Norm(g), 5);
        for (int i = 0; i < g.Length; i++)
            Assert.Equal(original[i] / 10.0, g[i], 5);
    }

    [Fact]
    public void AGradientBelowTheLimitIsUntouched()
    {
        float[] g = [0.3f, -0.4f];
        GradientClipping.ClipByNorm(g, GradientClipping.Norm(g), 1.0);
        Assert.Equal(new[] { 0.3f, -0.4f }, g);
    }

    [Fact]
    public void ClipByValueClampsEachComponent()
    {
        float[] g = Enumerable.Range(-20, 41).Select(i => i * 0.1f).ToArray();
        GradientClipping.ClipByValue(g, 0.5f);
        Assert.All(g, v => Assert.InRange(v, -0.5f, 0.5f));
        Assert.Equal(-0.5f, g[0]);
        Assert.Equal(0.5f, g[^1]);
        Assert.Equal(0.3f, g[23], 6);
    }
}
