"""Saving and loading an LSTM model: model.save('x.h5'), load_model, .keras, JSON + weights.

Follows machinelearningmastery.com "How to Save and Load Your Keras Deep Learning Model"
(model.to_json() + save_weights("model.h5") + model_from_json + load_weights; model.save
("model.h5") + load_model) and the Keras 3 serialization guide (model.save("model.keras")),
continuing training after loading.
"""
import numpy as np
from lstmkit.models import Sequential, load_model, model_from_json
from lstmkit.layers import LSTM, Dense, Dropout

np.random.seed(7)
X = np.random.rand(30, 4, 2)
y = X.sum(axis=(1, 2))

model = Sequential()
model.add(LSTM(12, input_shape=(4, 2), return_sequences=True))
model.add(Dropout(0.1))
model.add(LSTM(8))
model.add(Dense(1))
model.compile(loss='mean_squared_error', optimizer='adam', metrics=['mae'])
model.fit(X, y, epochs=2, batch_size=10, verbose=0)
scores = model.evaluate(X, y, verbose=0)
print("%s: %.2f" % (model.metrics_names[1], scores[1]))

# serialize model to JSON
model_json = model.to_json()
with open("model.json", "w") as json_file:
    json_file.write(model_json)
# serialize weights to HDF5
model.save_weights("model.weights.h5")
print("Saved model to disk")

# load json and create model
json_file = open('model.json', 'r')
loaded_model_json = json_file.read()
json_file.close()
loaded_model = model_from_json(loaded_model_json)
# load weights into new model
loaded_model.load_weights("model.weights.h5")
print("Loaded model from disk")
loaded_model.compile(loss='mean_squared_error', optimizer='adam', metrics=['mae'])
score = loaded_model.evaluate(X, y, verbose=0)
print("%s: %.2f" % (loaded_model.metrics_names[1], score[1]))
np.testing.assert_allclose(score, scores, rtol=1e-5)

# save model and architecture to single file
model.save("model.h5")
print("Saved model to disk")
# load model
model2 = load_model('model.h5')
# summarize model.
model2.summary()
np.testing.assert_allclose(model2.predict(X, verbose=0), model.predict(X, verbose=0), rtol=1e-5, atol=1e-6)
# continue training the loaded model
model2.fit(X, y, epochs=1, batch_size=10, verbose=0)

model.save("model.keras")
model3 = load_model("model.keras")
np.testing.assert_allclose(model3.predict(X, verbose=0), model.predict(X, verbose=0), rtol=1e-5, atol=1e-6)
