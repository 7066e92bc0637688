"""Human activity recognition: CNN-LSTM with TimeDistributed(Conv1D) and a ConvLSTM2D, tf.keras imports.

Follows machinelearningmastery.com "LSTMs for Human Activity Recognition Time Series
Classification" (CNN-LSTM and ConvLSTM sections), in the tf.keras-era form its readers use
(`from tensorflow.keras.layers import Conv1D, MaxPooling1D, ConvLSTM2D`): windows split into
n_steps subsequences of n_length, TimeDistributed(Conv1D) x2, TimeDistributed(Dropout),
TimeDistributed(MaxPooling1D), TimeDistributed(Flatten), LSTM(100), softmax over activities,
to_categorical labels, evaluate_model repeated; then ConvLSTM2D on
(samples, n_steps, 1, n_length, n_features). The UCI HAR files are replaced by random windows.
"""
from numpy import mean, std
import numpy as np
from lstmkit.models import Sequential
from lstmkit.layers import Dense, Flatten, Dropout, LSTM, TimeDistributed
from lstmkit.layers import Conv1D, MaxPooling1D, ConvLSTM2D
from lstmkit.utils import to_categorical


def load_dataset():
    rng = np.random.RandomState(0)
    trainX = rng.normal(size=(24, 16, 3)).astype('float32')
    testX = rng.normal(size=(12, 16, 3)).astype('float32')
    trainy = to_categorical(rng.randint(0, 6, size=(24, 1)))
    testy = to_categorical(rng.randint(0, 6, size=(12, 1)), num_classes=6)
    return trainX, trainy, testX, testy


# fit and evaluate a CNN-LSTM model
def evaluate_model(trainX, trainy, testX, testy):
    # define model
    verbose, epochs, batch_size = 0, 2, 8
    n_timesteps, n_features, n_outputs = trainX.shape[1], trainX.shape[2], trainy.shape[1]
    # reshape data into time steps of sub-sequences
    n_steps, n_length = 4, 4
    trainX = trainX.reshape((trainX.shape[0], n_steps, n_length, n_features))
    testX = testX.reshape((testX.shape[0], n_steps, n_length, n_features))
    # define model
    model = Sequential()
    model.add(TimeDistributed(Conv1D(filters=16, kernel_size=3, activation='relu'),
                              input_shape=(None, n_length, n_features)))
    model.add(TimeDistributed(Conv1D(filters=16, kernel_size=1, activation='relu')))
    model.add(TimeDistributed(Dropout(0.5)))
    model.add(TimeDistributed(MaxPooling1D(pool_size=2)))
    model.add(TimeDistributed(Flatten()))
    model.add(LSTM(32))
    model.add(Dropout(0.5))
    model.add(Dense(32, activation='relu'))
    model.add(Dense(n_outputs, activation='softmax'))
    model.compile(loss='categorical_crossentropy', optimizer='adam', metrics=['accuracy'])
    # fit network
    model.fit(trainX, trainy, epochs=epochs, batch_size=batch_size, verbose=verbose)
    # evaluate model
    _, accuracy = model.evaluate(testX, testy, batch_size=batch_size, verbose=0)
    return accuracy


# fit and evaluate a ConvLSTM model
def evaluate_convlstm(trainX, trainy, testX, testy):
    verbose, epochs, batch_size = 0, 2, 8
    n_timesteps, n_features, n_outputs = trainX.shape[1], trainX.shape[2], trainy.shape[1]
    # reshape into subsequences (samples, time steps, rows, cols, channels)
    n_steps, n_length = 4, 4
    trainX = trainX.reshape((trainX.shape[0], n_steps, 1, n_length, n_features))
    testX = testX.reshape((testX.shape[0], n_steps, 1, n_length, n_features))
    # define model
    model = Sequential()
    model.add(ConvLSTM2D(filters=16, kernel_size=(1, 3), activation='relu',
                         input_shape=(n_steps, 1, n_length, n_features)))
    model.add(Dropout(0.5))
    model.add(Flatten())
    model.add(Dense(32, activation='relu'))
    model.add(Dense(n_outputs, activation='softmax'))
    model.compile(loss='categorical_crossentropy', optimizer='adam', metrics=['accuracy'])
    model.fit(trainX, trainy, epochs=epochs, batch_size=batch_size, verbose=verbose)
    _, accuracy = model.evaluate(testX, testy, batch_size=batch_size, verbose=0)
    model.summary()
    return accuracy


# summarize scores
def summarize_results(scores):
    print(scores)
    m, s = mean(scores), std(scores)
    print('Accuracy: %.3f%% (+/-%.3f)' % (m, s))


# run an experiment
def run_experiment(repeats=2):
    # load data
    trainX, trainy, testX, testy = load_dataset()
    # repeat experiment
    scores = list()
    for r in range(repeats):
        score = evaluate_model(trainX, trainy, testX, testy)
        score = score * 100.0
        print('>#%d: %.3f' % (r+1, score))
        scores.append(score)
    scores.append(evaluate_convlstm(trainX, trainy, testX, testy) * 100.0)
    # summarize results
    summarize_results(scores)
    return scores


# run the experiment
scores = run_experiment()
assert len(scores) == 3 and all(0 <= s <= 100 for s in scores)
