using MLNetAdam.Data;
using MLNetAdam.Model;

namespace MLNetAdam.Trainer;

/// <summary>Everything a training driver needs: the data, the network's shape and the objective settings.</summary>
internal sealed record TrainingProblem(
    TrainingData Train,
    TrainingData? Validation,
    ParameterLayout Layout,
    MlpActivation Activation,
    float L2Regularization,
    Random Random);
