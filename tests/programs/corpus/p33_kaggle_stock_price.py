"""Stock-price prediction with stacked LSTMs and Dropout, Kaggle notebook style.

Follows the Kaggle / blog "Google stock price prediction with LSTM" notebooks: a pandas
DataFrame of prices, min-max scaling by hand (the notebooks use sklearn's MinMaxScaler),
60-step windows built in a loop, four LSTM(50, return_sequences=True) + Dropout(0.2) layers,
optimizer='adam', loss='mean_squared_error', inverse scaling of predictions and a
matplotlib plot of real vs predicted prices. Sizes shrunk.
"""
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
from lstmkit.models import Sequential
from lstmkit.layers import Dense
from lstmkit.layers import LSTM
from lstmkit.layers import Dropout

rng = np.random.default_rng(0)
dates = pd.date_range("2020-01-01", periods=80, freq="D")
dataset_train = pd.DataFrame({"Date": dates, "Open": 100 + np.cumsum(rng.normal(0, 1, 80))})
training_set = dataset_train.iloc[:60, 1:2].values

# Feature Scaling
lo, hi = training_set.min(), training_set.max()
training_set_scaled = (training_set - lo) / (hi - lo)

# Creating a data structure with 10 timesteps and 1 output
timesteps = 10
X_train = []
y_train = []
for i in range(timesteps, 60):
    X_train.append(training_set_scaled[i-timesteps:i, 0])
    y_train.append(training_set_scaled[i, 0])
X_train, y_train = np.array(X_train), np.array(y_train)

# Reshaping
X_train = np.reshape(X_train, (X_train.shape[0], X_train.shape[1], 1))

# Initialising the RNN
regressor = Sequential()

# Adding the first LSTM layer and some Dropout regularisation
regressor.add(LSTM(units=16, return_sequences=True, input_shape=(X_train.shape[1], 1)))
regressor.add(Dropout(0.2))

# Adding a second LSTM layer and some Dropout regularisation
regressor.add(LSTM(units=16, return_sequences=True))
regressor.add(Dropout(0.2))

# Adding a third LSTM layer and some Dropout regularisation
regressor.add(LSTM(units=16, return_sequences=True))
regressor.add(Dropout(0.2))

# Adding a fourth LSTM layer and some Dropout regularisation
regressor.add(LSTM(units=16))
regressor.add(Dropout(0.2))

# Adding the output layer
regressor.add(Dense(units=1))

# Compiling the RNN
regressor.compile(optimizer='adam', loss='mean_squared_error')

# Fitting the RNN to the Training set
regressor.fit(X_train, y_train, epochs=2, batch_size=16)

# Getting the predicted stock price
dataset_total = dataset_train['Open']
inputs = dataset_total[len(dataset_total) - 20 - timesteps:].values
inputs = inputs.reshape(-1, 1)
inputs = (inputs - lo) / (hi - lo)
X_test = []
for i in range(timesteps, timesteps + 20):
    X_test.append(inputs[i-timesteps:i, 0])
X_test = np.array(X_test)
X_test = np.reshape(X_test, (X_test.shape[0], X_test.shape[1], 1))
predicted_stock_price = regressor.predict(X_test)
predicted_stock_price = predicted_stock_price * (hi - lo) + lo

# Visualising the results
real_stock_price = dataset_train.iloc[60:, 1:2].values
plt.plot(real_stock_price, color='red', label='Real Google Stock Price')
plt.plot(predicted_stock_price, color='blue', label='Predicted Google Stock Price')
plt.title('Google Stock Price Prediction')
plt.xlabel('Time')
plt.ylabel('Google Stock Price')
plt.legend()
plt.show()
