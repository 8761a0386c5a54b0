using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetAdam.Tests.Training;

/// <summary>
/// Gets the <see cref="SchemaShape"/> of a data view through public API only: <c>EstimatorChain.Fit</c> propagates
/// the shape through every estimator before fitting, so a pass-through estimator records what it is given.
/// </summary>
public static class SchemaShapes
{
    public static SchemaShape Of(MLContext ml, IDataView data)
    {
        var recorder = new Recorder(ml.Transforms.CopyColumns("__shape_probe__", data.Schema[0].Name));
        new EstimatorChain<ITransformer>().Append(recorder).Fit(data);
        return recorder.Shape!;
    }

    private sealed class Recorder(IEstimator<ITransformer> inner) : IEstimator<ITransformer>
    {
        public SchemaShape? Shape { get; private set; }

        public ITransformer Fit(IDataView input) => inner.Fit(input);

        public SchemaShape GetOutputSchema(SchemaShape inputSchema)
        {
            Shape ??= inputSchema;
            return inner.GetOutputSchema(inputSchema);
        }
    }
}
