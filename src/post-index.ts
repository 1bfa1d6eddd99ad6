/** Entry point of the post step. */
import { runPost } from './post.js'

void runPost()
