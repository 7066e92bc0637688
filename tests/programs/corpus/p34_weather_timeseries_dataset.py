"""Weather forecasting with timeseries_dataset_from_array, as the Keras 3 example writes it.

Follows the Keras example "Timeseries forecasting for weather prediction"
(keras.io/examples/timeseries/timeseries_weather_forecasting): normalise features with the
training split's mean/std, keras.preprocessing.timeseries_dataset_from_array with
sampling_rate=step, `for batch in dataset_train.take(1): inputs, targets = batch`, an
Input shaped from that batch, LSTM(32), Dense(1), EarlyStopping + ModelCheckpoint
(save_weights_only=True, .weights.h5), and `dataset_val.take(...)` for plots. The Jena
climate CSV is replaced by a small synthetic frame.
"""
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
import lstmkit as keras

rng = np.random.default_rng(0)
n = 400
t = np.arange(n)
df = pd.DataFrame({
    "Date Time": pd.date_range("2009-01-01", periods=n, freq="10min").astype(str),
    "p (mbar)": 1000 + rng.normal(0, 1, n),
    "T (degC)": 10 * np.sin(t / 30) + rng.normal(0, 0.5, n),
    "VPmax (mbar)": 12 + np.sin(t / 30),
    "rho (g/m**3)": 1200 + rng.normal(0, 2, n),
})

split_fraction = 0.715
train_split = int(split_fraction * int(df.shape[0]))
step = 2

past = 24
future = 6
learning_rate = 0.001
batch_size = 16
epochs = 2


def normalize(data, train_split):
    data_mean = data[:train_split].mean(axis=0)
    data_std = data[:train_split].std(axis=0)
    return (data - data_mean) / data_std


selected_features = ["p (mbar)", "T (degC)", "VPmax (mbar)", "rho (g/m**3)"]
features = df[selected_features]
features.index = df["Date Time"]
print(features.head())

features = normalize(features.values, train_split)
features = pd.DataFrame(features)
print(features.head())

train_data = features.loc[0 : train_split - 1]
val_data = features.loc[train_split:]

start = past + future
end = start + train_split

x_train = train_data[[i for i in range(4)]].values
y_train = features.iloc[start:end][[1]]

sequence_length = int(past / step)

dataset_train = keras.preprocessing.timeseries_dataset_from_array(
    x_train,
    y_train,
    sequence_length=sequence_length,
    sampling_rate=step,
    batch_size=batch_size,
)

x_end = len(val_data) - past - future

label_start = train_split + past + future

x_val = val_data.iloc[:x_end][[i for i in range(4)]].values
y_val = features.iloc[label_start:][[1]]

dataset_val = keras.preprocessing.timeseries_dataset_from_array(
    x_val,
    y_val,
    sequence_length=sequence_length,
    sampling_rate=step,
    batch_size=batch_size,
)

for batch in dataset_train.take(1):
    inputs, targets = batch

print("Input shape:", inputs.numpy().shape)
print("Target shape:", targets.numpy().shape)

inputs = keras.layers.Input(shape=(inputs.shape[1], inputs.shape[2]))
lstm_out = keras.layers.LSTM(32)(inputs)
outputs = keras.layers.Dense(1)(lstm_out)

model = keras.Model(inputs=inputs, outputs=outputs)
model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate), loss="mse")
model.summary()

path_checkpoint = "model_checkpoint.weights.h5"
es_callback = keras.callbacks.EarlyStopping(monitor="val_loss", min_delta=0, patience=5)

modelckpt_callback = keras.callbacks.ModelCheckpoint(
    monitor="val_loss",
    filepath=path_checkpoint,
    verbose=1,
    save_weights_only=True,
    save_best_only=True,
)

history = model.fit(
    dataset_train,
    epochs=epochs,
    validation_data=dataset_val,
    callbacks=[es_callback, modelckpt_callback],
)


def visualize_loss(history, title):
    loss = history.history["loss"]
    val_loss = history.history["val_loss"]
    epochs = range(len(loss))
    plt.figure()
    plt.plot(epochs, loss, "b", label="Training loss")
    plt.plot(epochs, val_loss, "r", label="Validation loss")
    plt.title(title)
    plt.xlabel("Epochs")
    plt.ylabel("Loss")
    plt.legend()
    plt.show()


visualize_loss(history, "Training and Validation Loss")


def show_plot(plot_data, delta, title):
    labels = ["History", "True Future", "Model Prediction"]
    marker = [".-", "rx", "go"]
    time_steps = list(range(-(plot_data[0].shape[0]), 0))
    if delta:
        future = delta
    else:
        future = 0

    plt.title(title)
    for i, val in enumerate(plot_data):
        if i:
            plt.plot(future, plot_data[i], marker[i], markersize=10, label=labels[i])
        else:
            plt.plot(time_steps, plot_data[i].flatten(), marker[i], label=labels[i])
    plt.legend()
    plt.xlim([time_steps[0], (future + 5) * 2])
    plt.xlabel("Time-Step")
    plt.show()
    return


for x, y in dataset_val.take(2):
    show_plot(
        [x[0][:, 1].numpy(), y[0].numpy(), model.predict(x)[0]],
        12,
        "Single Step Prediction",
    )
