"""A multi-input, multi-output functional model, model.summary() and plot_model(show_shapes=True).

Follows the Keras functional API guide's "ticket classification" example (title and body
text inputs through Embedding + LSTM, a tags input, concatenate, priority and department
heads, loss weights, keras.utils.plot_model(model, "multi_input_and_output_model.png",
show_shapes=True)), and older tutorials' `from keras.utils.vis_utils import plot_model`.
"""
import os
import numpy as np
import lstmkit as keras
from lstmkit import layers
from lstmkit.utils.vis_utils import plot_model

num_tags = 12  # Number of unique issue tags
num_words = 100  # Size of vocabulary obtained when preprocessing text data
num_departments = 4  # Number of departments for predictions

title_input = keras.Input(shape=(None,), name="title")  # Variable-length sequence of ints
body_input = keras.Input(shape=(None,), name="body")  # Variable-length sequence of ints
tags_input = keras.Input(shape=(num_tags,), name="tags")  # Binary vectors of size `num_tags`

# Embed each word in the title into a 64-dimensional vector
title_features = layers.Embedding(num_words, 8)(title_input)
# Embed each word in the text into a 64-dimensional vector
body_features = layers.Embedding(num_words, 8)(body_input)

# Reduce sequence of embedded words in the title into a single 128-dimensional vector
title_features = layers.LSTM(16)(title_features)
# Reduce sequence of embedded words in the body into a single 32-dimensional vector
body_features = layers.LSTM(4)(body_features)

# Merge all available features into a single large vector via concatenation
x = layers.concatenate([title_features, body_features, tags_input])

# Stick a logistic regression for priority prediction on top of the features
priority_pred = layers.Dense(1, name="priority")(x)
# Stick a department classifier on top of the features
department_pred = layers.Dense(num_departments, name="department")(x)

# Instantiate an end-to-end model predicting both priority and department
model = keras.Model(
    inputs=[title_input, body_input, tags_input],
    outputs={"priority": priority_pred, "department": department_pred},
)
model.summary()

keras.utils.plot_model(model, "multi_input_and_output_model.png", show_shapes=True)
plot_model(model, to_file="model_plot.png", show_shapes=True, show_layer_names=True)
assert os.path.getsize("multi_input_and_output_model.png") > 0
assert os.path.getsize("model_plot.png") > 0

model.compile(
    optimizer=keras.optimizers.RMSprop(1e-3),
    loss={
        "priority": keras.losses.BinaryCrossentropy(from_logits=True),
        "department": keras.losses.CategoricalCrossentropy(from_logits=True),
    },
    loss_weights={"priority": 1.0, "department": 0.2},
)

# Dummy input data
title_data = np.random.randint(num_words, size=(16, 5))
body_data = np.random.randint(num_words, size=(16, 9))
tags_data = np.random.randint(2, size=(16, num_tags)).astype("float32")

# Dummy target data
priority_targets = np.random.random(size=(16, 1))
dept_targets = np.random.randint(2, size=(16, num_departments))

model.fit(
    {"title": title_data, "body": body_data, "tags": tags_data},
    {"priority": priority_targets, "department": dept_targets},
    epochs=2,
    batch_size=8,
)
