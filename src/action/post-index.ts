/** Entry point of the post step. */
import { run } from './post.js'

void run()
